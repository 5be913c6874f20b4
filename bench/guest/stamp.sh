# Guest side of bench/stamp.sh (P2): a devdax namespace over the whole NVDIMM, a pool on it, and
# /out/img.daxfs copied into RAM (/tmp); then per round `daxpool load` (timed, unloaded after)
# and daxbench memcpy of the same file to the device's last bytes.
. /in/lib.sh
provision devdax >/dev/null
dev=$(ns_dev devdax)
[ -n "$dev" ] || fail "no devdax namespace"
wait_dev "$dev"
daxpool create -q --device "$dev" -n bench >/dev/null
cp /out/img.daxfs /tmp/img.daxfs
size=$(daxio size /tmp/img.daxfs) devsize=$(daxio size "$dev")
off=$(((devsize - size) / 2097152 * 2097152 - 2097152))
for r in $(seq "$ROUNDS"); do
	daxbench time daxpool load -q --no-progress /tmp/img.daxfs -p "$dev" -n img >/dev/null 2>/tmp/err ||
		{ cat /tmp/err; fail "daxpool load into $dev failed"; }
	t=$(sed -n 's/^seconds=//p' /tmp/err)
	daxpool unload -q img -p "$dev" >/dev/null
	result part=P2 case=guest-load metric=stamp_s round=$r value=$t
	out=$(daxbench memcpy "$dev" "$off" /tmp/img.daxfs)
	result part=P2 case=guest-memcpy metric=stamp_s round=$r value=$(echo "$out" | field seconds)
done
daxpool fsck -q -p "$dev" >/dev/null || fail "the pool is not clean after the rounds"
