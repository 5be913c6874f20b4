# Scenario step: provision one namespace of mode $1 (devdax|fsdax) on this (fresh) memory.
provision "$1" >/dev/null
dev=$(ns_dev "$1")
[ -n "$dev" ] || fail "no $1 device after provisioning"
wait_dev "$dev"
say "provisioned $dev ($(daxio size "$dev") bytes)"
