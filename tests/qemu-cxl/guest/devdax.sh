# Scenario: images in a device-dax instance (the pool's default mode), mounted by naming
# /dev/daxX.Y (the module resolves the range). Two images at two offsets mounted at once; the
# device stays writable elsewhere; another process reads a file's mappings through
# /proc/PID/mem (peekmap); by default device-dax maps in 4 KiB special pages that GUP refuses
# (process_vm_readv EFAULT); with -o devpages a 64 MiB file (16 MiB on CXL) maps in 2 MiB PMDs (few faults,
# bytes equal, a MAP_PRIVATE write private, GUP works) and in 4 KiB pages when mapped off the
# 2 MiB grid; phys= maps 4 KiB pages;
# bad offsets refused; while mounted, reconfiguring the device
# to system-ram fails and the mounts keep working. A phys= mount of the bound device's range is
# refused (EBUSY: device_dax owns it); once the device has no driver, phys= mounts work, claim
# the range in /proc/iomem (shared by mounts of the same range, EBUSY for an overlapping other
# one, device_dax cannot bind meanwhile) and need CAP_SYS_RAWIO. After umount, system-ram
# works, and the device in system-ram mode is refused at mount. (--no-movable: the guest kernel
# onlines hot-added memory itself, and daxctl refuses to reconfigure then unless told not to ask
# for movable memory.)
provision devdax >/dev/null
dax=$(ns_dev devdax)
wait_dev "$dax"
name=${dax#/dev/}
res=$(cat /sys/bus/dax/devices/$name/resource)
size=$(cat /sys/bus/dax/devices/$name/size)
say "$name: resource $res size $size"
daxio copyin "$dax" 0x200000 /in/image
daxio copyin "$dax" 0x4000000 /in/image
modprobe daxfs
mkdir -p /mnt/d /mnt/e /mnt/f /mnt/g
dmesg -c >/dev/null
if mount -t daxfs -o ro,phys=$res,size=$size,offset=$((0x200000)) none /mnt/d 2>/tmp/err; then
	fail "phys= mounted the range of a device bound to device_dax"
fi
grep -q "busy" /tmp/err || fail "phys= of a bound device: want EBUSY, got: $(cat /tmp/err)"
echo "phys= of the bound device: $(dmesg | grep daxfs | tail -1)"
mount -t daxfs -o ro,offset=$((0x4000000)) "$dax" /mnt/e ||
	fail "devdax mount by path failed: $(dmesg | tail -2)"
mount -t daxfs -o ro,offset=$((0x200000)) "$dax" /mnt/f ||
	fail "second image of the same device by path: $(dmesg | tail -2)"
grep daxfs /proc/mounts
expect_tree /mnt/e
expect_tree /mnt/f
fscheck mmap /mnt/e/data/three-mib
# Another process reads the mapping through /proc/PID/mem
peekmap /mnt/e/data/three-mib

say "by default 4 KiB special pages that get_user_pages() refuses"
# Without devpages device-dax frames are raw (kernel/compat.h): a pin held over an unbind of
# device_dax would outlive the memory map. process_vm_readv() must fail (EFAULT).
out=$(mapcheck gup /mnt/e/data/three-mib) && fail "a device-dax mapping was pinned without devpages: $out"
echo "$out"
echo "$out" | grep -q 'Bad address' || fail "mapcheck gup: $out"
# the same image mounted once more with devpages: device pages, which GUP takes
mkdir -p /mnt/k
mount -t daxfs -o ro,devpages,offset=$((0x4000000)) "$dax" /mnt/k || fail "mount -o devpages: $(dmesg | tail -2)"
grep " /mnt/k daxfs " /proc/mounts | grep -q devpages || fail "devpages not in /proc/mounts: $(grep /mnt/k /proc/mounts)"
mapcheck gup /mnt/k/data/three-mib || fail "devpages: process_vm_readv of the mapping"
umount /mnt/k

say "2 MiB mappings (devpages): a $BIG_MIB MiB file faults in PMDs, 4 KiB pages off the 2 MiB grid"
# An image of one BIG_MIB MiB file (the builder puts files of 2 MiB or more on 2 MiB boundaries),
# stamped at a 2 MiB-aligned offset of the device, whose range is 2 MiB aligned.
[ $((res % 0x200000)) = 0 ] || fail "$name: resource $res is not 2 MiB aligned"
mkdir -p /tmp/big /mnt/h
head -c $((BIG_MIB << 20)) /dev/urandom > /tmp/big/big
daxpool build -q /tmp/big -o /tmp/big.img || fail "daxpool build of the $BIG_MIB MiB file"
rm /tmp/big/big
daxio copyin "$dax" 0x9000000 /tmp/big.img
rm /tmp/big.img
# touch_faults FILE [skew]: map FILE (skew: 4 KiB off the 2 MiB grid), read a byte of every
# page; sets pages and faults
touch_faults() {
	out=$(mapcheck touch "$@") || fail "mapcheck touch $*: $out"
	echo "$*: $(echo $out)"
	pages=$(echo "$out" | sed -n 's/.*pages=\([0-9]*\).*/\1/p')
	faults=$(echo "$out" | sed -n 's/.*faults=\([0-9]*\).*/\1/p')
	[ -n "$pages" ] && [ -n "$faults" ] || fail "mapcheck touch $*: $out"
}
# the default: 4 KiB pages even where a PMD would fit
mount -t daxfs -o ro,offset=$((0x9000000)) "$dax" /mnt/h || fail "mount of the $BIG_MIB MiB image: $(dmesg | tail -2)"
touch_faults /mnt/h/big
[ "$faults" -ge "$pages" ] || fail "device-dax without devpages: $faults faults for $pages pages, want 4 KiB pages"
umount /mnt/h
mount -t daxfs -o ro,devpages,offset=$((0x9000000)) "$dax" /mnt/h || fail "mount -o devpages: $(dmesg | tail -2)"
# BIG_MIB * 256 pages: BIG_MIB / 2 PMDs (and the program's own few faults); 4 KiB pages: a fault each
touch_faults /mnt/h/big
[ "$pages" = $((BIG_MIB * 256)) ] || fail "the $BIG_MIB MiB file has $pages pages"
[ "$faults" -le "$BIG_MIB" ] || fail "$BIG_MIB MiB on device-dax: $faults faults, want PMD mappings (at most $BIG_MIB)"
# placed 4 KiB off the 2 MiB grid, no 2 MiB of the mapping is 2 MiB of the device: 4 KiB pages
touch_faults /mnt/h/big skew
[ "$faults" -ge "$pages" ] || fail "mapping off the 2 MiB grid: $faults faults for $pages pages"
umount /mnt/h

say "refusals by path: unaligned offset, offset at/beyond the end, image running past the end"
refuse() {
	dmesg -c >/dev/null
	! mount -t daxfs -o ro,offset=$1 "$dax" /mnt/x 2>/dev/null || fail "offset=$1 accepted"
	msg=$(dmesg | grep 'daxfs' | tail -1)
	[ -n "$msg" ] || fail "offset=$1 refused without a kernel log line"
	echo "offset=$1: ${msg#*] }"
}
mkdir -p /mnt/x
refuse $((0x200000 + 100))
refuse "$size"
refuse $((size + 0x200000))
# the image's own size runs past the end of the device: its superblock page 1 MiB before the end
head -c 4096 /in/image > /tmp/sb
daxio copyin "$dax" $((size - 0x100000)) /tmp/sb
refuse $((size - 0x100000))
! mount -t daxfs -o ro /dev/null /mnt/x 2>/dev/null || fail "/dev/null accepted"
dmesg | tail -1

say "another host scribbles over the mounted image's metadata: the mount is unaffected"
# The kernel serves metadata from the snapshot it validated at mount: garbage written over the
# superblock and every metadata table in the shared memory changes nothing it trusts.
# DATA_OFF (from the host): where file data starts; everything before it is metadata.
head -c "$DATA_OFF" /dev/urandom > /tmp/junk
daxio copyin "$dax" 0x200000 /tmp/junk
expect_tree /mnt/f
echo "(after $DATA_OFF bytes of garbage over the superblock and metadata in the shared memory)"
daxio write "$dax" 0x8000000 "written-while-mounted"
expect_eq "write elsewhere" "$(daxio read "$dax" 0x8000000 21)" "written-while-mounted"
expect_eq "chroot busybox" "$(chroot /mnt/e /bin/sh -c 'echo ran from devdax')" "ran from devdax"
umount /mnt/f

say "system-ram while mounted: refused, the mount keeps working"
modprobe kmem
dmesg -c >/dev/null
if daxctl reconfigure-device -m system-ram --no-movable "$name" 2>/tmp/err; then
	fail "reconfigured to system-ram while mounted"
fi
cat /tmp/err
dmesg | grep -E 'daxfs|kmem|dax' || true
grep -q 'System RAM (kmem)' /proc/iomem && fail "the range became System RAM"
grep -E "daxfs|$name" /proc/iomem
expect_tree /mnt/e
fscheck mmap /mnt/e/data/three-mib
! daxctl enable-device "$name" 2>/dev/null || fail "device_dax rebound over a mount"
umount /mnt/e
grep -q daxfs /proc/iomem && fail "the range is still reserved after umount"

say "phys= on the driverless device: needs CAP_SYS_RAWIO, claims the range while mounted"
[ ! -e /sys/bus/dax/devices/$name/driver ] || fail "$name still has a driver"
phys_opts="ro,phys=$res,size=$size,offset=$((0x4000000))"
dmesg -c >/dev/null
# 17: CAP_SYS_RAWIO, dropped from the bounding set (a root mount(8) without it)
if fscheck nocap 17 mount -t daxfs -o "$phys_opts" none /mnt/d 2>/tmp/err; then
	fail "phys= mounted without CAP_SYS_RAWIO"
fi
# (busybox mount says "permission denied (are you root?)" for EPERM; the log line says why)
grep -qi "permission denied\|not permitted" /tmp/err || fail "phys= without CAP_SYS_RAWIO: $(cat /tmp/err)"
msg=$(dmesg | grep daxfs | tail -1)
case $msg in *"needs CAP_SYS_RAWIO"*) ;; *) fail "phys= without CAP_SYS_RAWIO: log says: $msg" ;; esac
echo "without CAP_SYS_RAWIO: $msg"
mount -t daxfs -o "$phys_opts" none /mnt/d || fail "phys= mount failed: $(dmesg | tail -2)"
mopts=,$(grep " /mnt/d daxfs " /proc/mounts | cut -d' ' -f4),
mphys=$(echo "$mopts" | sed -n 's/.*,phys=\([^,]*\),.*/\1/p')
msize=$(echo "$mopts" | sed -n 's/.*,size=\([^,]*\),.*/\1/p')
[ -n "$mphys" ] && [ -n "$msize" ] && [ $((mphys)) -eq $((res)) ] && [ $((msize)) -eq $((size)) ] ||
	fail "/proc/mounts options $mopts do not show phys=$res,size=$size"
case $mopts in *,ro,*offset=67108864,*) ;; *) fail "/proc/mounts options $mopts lack ro or offset=" ;; esac
mount -o remount,ro /mnt/d || fail "remount,ro of a phys= mount"
expect_tree /mnt/d
peekmap /mnt/d/data/three-mib
# phys= frames have no memory map: 4 KiB special pages only, never PMDs (kernel/compat.h)
mount -t daxfs -o "ro,phys=$res,size=$size,offset=$((0x9000000))" none /mnt/h ||
	fail "phys= mount of the $BIG_MIB MiB image: $(dmesg | tail -2)"
touch_faults /mnt/h/big
[ "$faults" -ge "$pages" ] || fail "phys=: $faults faults for $pages pages, want 4 KiB pages"
umount /mnt/h
claim="$(printf %x $((res)))-$(printf %x $((res + size - 1))) : daxfs"
grep -q "$claim" /proc/iomem || fail "no '$claim' in /proc/iomem: $(grep -i dax /proc/iomem)"
grep "$claim" /proc/iomem
# the same range again (another mount of it): shares the claim
mount -t daxfs -o "$phys_opts" none /mnt/g || fail "second phys= mount of the same range: $(dmesg | tail -2)"
expect_tree /mnt/g
expect_eq "claims of the range" "$(grep -c "$claim" /proc/iomem)" 1
# an overlapping, different range: refused
if mount -t daxfs -o ro,phys=$res,size=$((size / 2)),offset=$((0x4000000)) none /mnt/x 2>/tmp/err; then
	fail "an overlapping phys= range was mounted"
fi
grep -q "busy" /tmp/err || fail "overlapping phys= range: want EBUSY, got: $(cat /tmp/err)"
! daxctl enable-device "$name" 2>/dev/null || fail "device_dax bound over a phys= mount"
umount /mnt/d
grep -q "$claim" /proc/iomem || fail "the claim went with the first of two mounts"
umount /mnt/g
! grep -q daxfs /proc/iomem || fail "the range is still claimed after umount: $(grep daxfs /proc/iomem)"

say "after umount: system-ram works, and the device is refused at mount"
daxctl reconfigure-device -m system-ram --no-movable "$name" >/dev/null || fail "system-ram after umount: $(dmesg | tail -3)"
grep 'System RAM (kmem)' /proc/iomem
dmesg -c >/dev/null
! mount -t daxfs -o ro,offset=$((0x4000000)) "$dax" /mnt/x 2>/dev/null ||
	fail "mounted a device in system-ram mode"
msg=$(dmesg | grep daxfs | tail -1)
[ -n "$msg" ] || fail "system-ram device refused without a kernel log line"
echo "system-ram: ${msg#*] }"
! mount -t daxfs -o ro,phys=$res,size=$size,offset=$((0x4000000)) none /mnt/x 2>/dev/null ||
	fail "mounted a system-ram range by phys="
rmmod daxfs
