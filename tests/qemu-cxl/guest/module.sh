# Scenario: daxfs.ko (built against the guest's headers) loads, registers the filesystem type,
# and unloads again.
modprobe daxfs || fail "modprobe daxfs failed"
grep -qw daxfs /proc/filesystems || fail "daxfs is not in /proc/filesystems"
grep -q '^daxfs ' /proc/modules || fail "daxfs is not in /proc/modules"
say "loaded: $(grep '^daxfs ' /proc/modules)"
rmmod daxfs || fail "rmmod daxfs failed"
! grep -qw daxfs /proc/filesystems || fail "daxfs still registered after rmmod"
