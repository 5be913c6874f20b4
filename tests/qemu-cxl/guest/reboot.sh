# Scenario step: boot $BOOT (1 or 2) on the same backing file. Boot 1 provisions a devdax
# namespace and writes a marker; boot 2 only attaches and must find the same namespace (UUID)
# and the marker.
if [ "$BOOT" = 1 ]; then
	provision devdax >/dev/null
else
	attach
fi
dev=$(ns_dev devdax)
[ -n "$dev" ] || fail "boot $BOOT: no devdax namespace"
wait_dev "$dev"
expect_eq "devdax namespaces" "$(ns_count devdax)" 1
uuid=$(ndctl list -N | grep -o '"uuid":"[^"]*"' | head -1 | cut -d'"' -f4)
if [ "$BOOT" = 1 ]; then
	daxio write "$dev" 0x3000 "BOOT1:$NONCE"
	echo "$uuid" > /out/uuid
else
	expect_eq "namespace uuid" "$uuid" "$UUID"
	expect_eq "marker" "$(daxio read "$dev" 0x3000 $((${#NONCE} + 6)))" "BOOT1:$NONCE"
fi
say "boot $BOOT: namespace $uuid on $dev"
