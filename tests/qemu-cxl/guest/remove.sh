# Scenario: the device under daxfs mounts goes away while they are mounted.
# fsdax: two images of one pmem device are mounted (one dax_device, one daxfs holder); a program
# runs from one of them; the pmem driver is unbound: the kernel's kill_dax() tells the holder
# (MF_MEM_PRE_REMOVE), both mounts are revoked (reads fail with EIO, the running program's
# mappings are zapped: it dies of SIGBUS at its next instruction fetch, instead of running on
# memory that is gone), and they unmount cleanly. Each mount's /sys/fs/daxfs/DEV/ shows its source,
# offset and the image's uuid, digest, size and label (as daxpool inspect shows them), and
# revoked flips to 1 with the removal (the sysfs directory goes at umount).
# device-dax: the namespace's dax_pmem driver is unbound, which deletes the dev_dax under the
# mount: daxfs keeps the range reserved and the mount keeps working (its mappings of device
# pages, PMDs included, are dropped first and come back as 4 KiB pages); rebinding dax_pmem makes a
# new dev_dax that no driver can take until umount (revoked stays 0); after umount it is
# enabled and mounted.
# unbind_or_dump DEV UNBIND: unbind, or show where it is stuck after 60 s (blocked tasks).
unbind_or_dump() {
	echo "$1" > "$2" &
	u=$!
	i=0
	while [ -d /proc/$u ] && [ $i -lt 600 ]; do usleep 100000; i=$((i + 1)); done
	[ -d /proc/$u ] || { wait $u; return; }
	for t in /proc/[0-9]*; do
		[ "$(cut -d' ' -f3 $t/stat 2>/dev/null)" = D ] || continue
		echo "blocked: $t $(cat $t/comm)"; cat $t/stack
	done
	echo w > /proc/sysrq-trigger
	dmesg | tail -60
	fail "unbinding $1 hangs"
}
provision fsdax 64M >/dev/null
ndctl create-namespace -r region0 -m devdax --map=mem -s 64M >/dev/null || fail "devdax namespace"
pmem=$(ns_dev fsdax)
dax=$(ns_dev devdax)
wait_dev "$pmem"
wait_dev "$dax"
dd if=/in/image of="$pmem" bs=1M conv=fsync 2>/dev/null
dd if=/in/image of="$pmem" bs=1M seek=16 conv=fsync 2>/dev/null
daxio copyin "$dax" 0x200000 /in/image
modprobe daxfs
mkdir -p /mnt/a /mnt/b /mnt/c
mount -t daxfs -o ro "$pmem" /mnt/a || fail "mount $pmem: $(dmesg | tail -2)"
mount -t daxfs -o ro,offset=$((16 << 20)) "$pmem" /mnt/b || fail "mount $pmem at 16M: $(dmesg | tail -2)"
# devpages: device-dax mapped as device pages with PMDs (not the default), whose drop at the
# unbind is checked below
mount -t daxfs -o ro,devpages,offset=$((0x200000)) "$dax" /mnt/c || fail "mount $dax: $(dmesg | tail -2)"
expect_tree /mnt/a
expect_tree /mnt/b
expect_tree /mnt/c

say "sysfs: /sys/fs/daxfs/DEV/ of each mount says what it is, as the image does"
daxpool inspect -j /in/image > /tmp/inspect.json
uuid=$(jsonget superblock.uuid /tmp/inspect.json)
digest=$(jsonget superblock.digest /tmp/inspect.json)
isize=$(jsonget superblock.total_size /tmp/inspect.json)
ilabel=$(jsonget superblock.label /tmp/inspect.json)
# sysdir MOUNTPOINT: named by the mount's device number, the third field of mountinfo
sysdir() { echo "/sys/fs/daxfs/$(awk -v m="$1" '$5 == m { print $3 }' /proc/self/mountinfo)"; }
# expect_sys MOUNTPOINT SOURCE KIND OFFSET REVOKED
expect_sys() {
	d=$(sysdir "$1")
	[ -d "$d" ] || fail "$1: no $d ($(ls /sys/fs/daxfs 2>&1))"
	expect_eq "$1: $d/source" "$(cat "$d/source")" "$2"
	expect_eq "$1: $d/kind" "$(cat "$d/kind")" "$3"
	expect_eq "$1: $d/offset" "$(cat "$d/offset")" "$4"
	expect_eq "$1: $d/revoked" "$(cat "$d/revoked")" "$5"
	expect_eq "$1: $d/uuid" "$(cat "$d/uuid")" "$uuid"
	expect_eq "$1: $d/digest" "$(cat "$d/digest")" "$digest"
	expect_eq "$1: $d/size" "$(cat "$d/size")" "$isize"
	expect_eq "$1: $d/label" "$(cat "$d/label")" "$ilabel"
	echo "$d: $(cat "$d/kind") $(cat "$d/source") offset $(cat "$d/offset") revoked $(cat "$d/revoked")"
}
expect_sys /mnt/a "$pmem" fsdax 0 0
expect_sys /mnt/b "$pmem" fsdax $((16 << 20)) 0
expect_sys /mnt/c "$dax" devdax $((0x200000)) 0
echo "uuid $uuid digest $digest"

say "fsdax: the pmem driver is unbound under two mounts and a running program"
mkfifo /tmp/go
/mnt/a/bin/busybox sh -c 'read x < /tmp/go; echo still running' > /tmp/out 2>&1 &
pid=$!
# Unbind only once it sleeps in the fifo's open: under TCG, code in CXL memory runs one emulated
# instruction at a time, and a removal while it executes from there was seen to freeze the
# whole emulator (2 boots in 5, never with the program asleep).
# Meanwhile another process has written a page of a MAP_PRIVATE mapping of a file of /mnt/b:
# that copy is its own memory and survives the revocation; the file's page next to it does not.
mkfifo /tmp/gocow
mapcheck cow /mnt/b/data/three-mib /tmp/gocow > /tmp/cow 2>&1 &
cpid=$!
i=0
until grep -q written /tmp/cow; do
	i=$((i + 1)); [ $i -le 300 ] || fail "mapcheck cow never wrote: $(cat /tmp/cow)"
	usleep 100000
done
i=0
until [ "$(cat /proc/$pid/wchan 2>/dev/null)" = wait_for_partner ]; do
	i=$((i + 1)); [ $i -le 300 ] || fail "the program from the image never reached the fifo"
	usleep 100000
done
nd=$(basename "$(readlink -f /sys/block/${pmem#/dev/}/device)")
drv=$(basename "$(readlink -f /sys/bus/nd/devices/$nd/driver)")
echo "unbinding $nd from $drv"
dmesg -c >/dev/null
unbind_or_dump "$nd" /sys/bus/nd/drivers/$drv/unbind
[ ! -e "$pmem" ] || fail "$pmem is still there"
dmesg | grep daxfs
expect_eq "revoked mounts" "$(dmesg | grep -c 'daxfs: .*mount revoked')" 2
expect_sys /mnt/a "$pmem" fsdax 0 1
expect_sys /mnt/b "$pmem" fsdax $((16 << 20)) 1
! cat /mnt/a/data/three-mib > /dev/null 2>&1 || fail "read a revoked mount"
! cat /mnt/b/data/three-mib > /dev/null 2>&1 || fail "read a revoked mount"
ls /mnt/a > /dev/null	# metadata is the mount's own snapshot
echo go > /tmp/gocow
wait $cpid || fail "a MAP_PRIVATE mapping over the revocation: $(cat /tmp/cow)"
cat /tmp/cow
# Its open of the fifo returns, it dies at its next instruction and closes the fifo, maybe
# before this write: SIGPIPE then, which must end a subshell, not this script (CI saw exit 141).
(echo go > /tmp/go) 2>/dev/null || true
rc=0
wait $pid || rc=$?
cat /tmp/out
expect_eq "program from the removed device (128 + SIGBUS)" "$rc" 135
gone=$(sysdir /mnt/a)
umount /mnt/a /mnt/b
[ ! -e "$gone" ] || fail "$gone is still there after umount"

say "device-dax: the dev_dax is deleted under the mount"
# A process holds a mapping of a 3 MiB file over it, its first 2 MiB in a PMD (device pages).
# device_dax's memory map goes with the unbind, so the mapping is dropped just before; then
# the process walks it through /proc/self/{smaps,pagemap,clear_refs} (which would read the
# freed memory map if the PMD were still there) and refaults it in 4 KiB pages, bytes equal.
mkfifo /tmp/go2
mapcheck hold /mnt/c/data/three-mib /tmp/go2 > /tmp/hold 2>&1 &
hpid=$!
i=0
until grep -q touched /tmp/hold; do
	i=$((i + 1)); [ $i -le 300 ] || fail "mapcheck hold never touched its mapping: $(cat /tmp/hold)"
	usleep 100000
done
parent=$(basename "$(dirname "$(readlink -f /sys/bus/dax/devices/${dax#/dev/})")")
pdrv=$(basename "$(readlink -f /sys/bus/nd/devices/$parent/driver)")
echo "unbinding $parent from $pdrv"
dmesg -c >/dev/null
echo "$parent" > /sys/bus/nd/drivers/$pdrv/unbind
[ ! -e /sys/bus/dax/devices/${dax#/dev/} ] || fail "${dax#/dev/} is still there"
dmesg | grep daxfs
echo go > /tmp/go2
wait $hpid || fail "the mapping held over the unbind: $(cat /tmp/hold)"
cat /tmp/hold
before=$(sed -n 's/^touched faults=//p' /tmp/hold)
again=$(sed -n 's/^again faults=//p' /tmp/hold)
# 768 pages: 1 PMD + 256 pages before; all 768 pages again once the PMD is gone
[ -n "$before" ] && [ "$before" -lt 768 ] || fail "no PMD mapping before the unbind: $(cat /tmp/hold)"
[ -n "$again" ] && [ "$again" -ge 768 ] || fail "the mapping was not dropped at the unbind: $(cat /tmp/hold)"
dmesg | grep -q 'mappings dropped' || fail "no log line for the dropped mappings"
grep daxfs /proc/iomem || fail "the range is not reserved"
expect_tree /mnt/c
expect_sys /mnt/c "$dax" devdax $((0x200000)) 0
# The namespace comes back as a new dev_dax of the same name, but nothing can drive it yet.
echo "$parent" > /sys/bus/nd/drivers/$pdrv/bind
usleep 1000000
! daxio size "$dax" >/dev/null 2>&1 || fail "device_dax bound to the mounted range"
[ ! -e /sys/bus/dax/devices/${dax#/dev/}/driver ] || fail "${dax#/dev/} has a driver"
dmesg | grep 'could not reserve'
expect_tree /mnt/c
umount /mnt/c
grep -q daxfs /proc/iomem && fail "still reserved after umount"
daxctl enable-device "${dax#/dev/}" >/dev/null || fail "device_dax after umount"
wait_dev "$dax"
mount -t daxfs -o ro,offset=$((0x200000)) "$dax" /mnt/c || fail "mount after re-enabling"
expect_tree /mnt/c
umount /mnt/c
rmmod daxfs
