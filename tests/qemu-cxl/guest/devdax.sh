# Scenario: an image in a device-dax instance (the pool's default mode), mounted by its physical
# range (phys=, size= from sysfs, as libdaxctl reports them) at a 2 MiB offset; then a second
# image at another offset of the same device is mounted at the same time, and the device stays
# writable elsewhere while both are mounted.
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
mkdir -p /mnt/d /mnt/e
mount -t daxfs -o ro,phys=$res,size=$size,offset=$((0x200000)) none /mnt/d ||
	fail "devdax mount failed: $(dmesg | tail -2)"
mount -t daxfs -o ro,phys=$res,size=$size,offset=$((0x4000000)) none /mnt/e ||
	fail "second image of the same device: $(dmesg | tail -2)"
grep daxfs /proc/mounts
expect_tree /mnt/d
expect_tree /mnt/e
fscheck mmap /mnt/d/data/three-mib

say "another host scribbles over the mounted image's metadata: the mount is unaffected"
# The kernel serves metadata from the snapshot it validated at mount: garbage written over the
# superblock and every metadata table in the shared memory changes nothing it trusts.
# DATA_OFF (from the host): where file data starts; everything before it is metadata.
head -c "$DATA_OFF" /dev/urandom > /tmp/junk
daxio copyin "$dax" 0x200000 /tmp/junk
expect_tree /mnt/d
echo "(after $DATA_OFF bytes of garbage over the superblock and metadata in the shared memory)"
daxio write "$dax" 0x8000000 "written-while-mounted"
expect_eq "write elsewhere" "$(daxio read "$dax" 0x8000000 21)" "written-while-mounted"
expect_eq "chroot busybox" "$(chroot /mnt/d /bin/sh -c 'echo ran from devdax')" "ran from devdax"
umount /mnt/d /mnt/e
rmmod daxfs
