# Scenario: the image in a dma-buf from the system dma-heap (the accelerator case), mounted with
# the new mount API (FSCONFIG_SET_FD "dmabuf") at a non-zero offset; the tree must equal the
# source, mmap and programs must work (the mapping readable through /proc/PID/mem, its pages
# taken by get_user_pages: process_vm_readv), and a
# dma-buf without an image must be refused.
modprobe daxfs
mkdir -p /mnt/d
[ -e /dev/dma_heap/system ] || fail "no /dev/dma_heap/system"
! dmabufmount - /mnt/d 2>/tmp/err || fail "an empty dma-buf was mounted"
cat /tmp/err
dmabufmount /in/image /mnt/d 8192 || fail "dmabuf mount failed: $(dmesg | tail -2)"
grep " /mnt/d daxfs " /proc/mounts
mopts=,$(grep " /mnt/d daxfs " /proc/mounts | cut -d' ' -f4),
case $mopts in *,ro,*dmabuf*offset=8192,*) ;; *) fail "/proc/mounts options: $mopts" ;; esac
expect_tree /mnt/d
say "remount,ro: the shown options (a bare dmabuf) are accepted back"
mount -o remount,ro /mnt/d || fail "mount -o remount,ro of a dma-buf mount: $(dmesg | tail -2)"
mount -o remount,ro,dmabuf,offset=8192 /mnt/d || fail "remount with the shown options: $(dmesg | tail -2)"
! mount -o remount,ro,offset=4096 /mnt/d 2>/dev/null || fail "remount with another offset accepted"
mkdir -p /mnt/x
! mount -t daxfs -o ro,dmabuf none /mnt/x 2>/dev/null || fail "a bare dmabuf accepted for a new mount"
dmesg | grep daxfs | tail -1
expect_tree /mnt/d
fscheck mmap /mnt/d/data/three-mib
peekmap /mnt/d/data/three-mib
# The buffer's pages are mapped as pages: get_user_pages() takes them (process_vm_readv pins
# them), where raw pfns would fail with EFAULT
mapcheck gup /mnt/d/data/three-mib || fail "GUP of a dma-buf file's mapping"
mapcheck touch /mnt/d/data/three-mib || fail "mapcheck touch of a dma-buf file"
expect_eq "chroot busybox" "$(chroot /mnt/d /bin/sh -c 'echo ran from a dma-buf')" "ran from a dma-buf"
umount /mnt/d
rmmod daxfs
