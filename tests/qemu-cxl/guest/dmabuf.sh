# Scenario: the image in a dma-buf from the system dma-heap (the accelerator case), mounted with
# the new mount API (FSCONFIG_SET_FD "dmabuf") at a non-zero offset; the tree must equal the
# source, mmap and programs must work (the mapping readable through /proc/PID/mem, its pages
# taken by get_user_pages: process_vm_readv, and in the rmap: pagemap, kpagecount), and a
# dma-buf without an image must be refused. Then the image in a udmabuf (a memfd's page-cache
# folios): the same tree and mappings, but its pages mapped as raw frames, never as pages (not
# in the rmap, get_user_pages refused), said in one log line at mount.
modprobe daxfs
# pm_field OUTPUT NAME: NAME's value in mapcheck pagemap's "pagemap: pages=N present=N ..."
pm_field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
RAWLINE="its pages are mapped into processes as raw frames"
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
# ... and in the rmap: every present PTE a file page's (pagemap), each page mapped (kpagecount)
pm=$(mapcheck pagemap /mnt/d/data/three-mib) || fail "mapcheck pagemap: $pm"
echo "$pm"
expect_eq "system heap: present pages" "$(pm_field "$pm" present)" "$(pm_field "$pm" pages)"
expect_eq "system heap: pages pagemap marks as file pages" "$(pm_field "$pm" file)" "$(pm_field "$pm" pages)"
expect_eq "system heap: pages in the rmap" "$(pm_field "$pm" mapped)" "$(pm_field "$pm" pages)"
expect_eq "system heap: raw-frames log lines" "$(dmesg | grep -c "$RAWLINE" || true)" 0
expect_eq "chroot busybox" "$(chroot /mnt/d /bin/sh -c 'echo ran from a dma-buf')" "ran from a dma-buf"
umount /mnt/d

say "udmabuf: a memfd's page-cache folios, mapped as raw frames"
[ -e /dev/udmabuf ] || fail "no /dev/udmabuf (the guest kernel needs CONFIG_UDMABUF)"
mkdir -p /mnt/u
dmabufmount -u /in/image /mnt/u 8192 || fail "udmabuf mount failed: $(dmesg | tail -2)"
expect_tree /mnt/u
fscheck mmap /mnt/u/data/three-mib
peekmap /mnt/u/data/three-mib
mapcheck touch /mnt/u/data/three-mib || fail "mapcheck touch of a udmabuf file"
# Not pages to the kernel: get_user_pages refuses raw frames (process_vm_readv of the mapping
# fails with EFAULT), no file-page mark in pagemap, not in the rmap (map count 0)
gup=$(mapcheck gup /mnt/u/data/three-mib) && gup_rc=0 || gup_rc=$?
echo "$gup"
pm=$(mapcheck pagemap /mnt/u/data/three-mib) || fail "mapcheck pagemap: $pm"
echo "$pm"
[ "$gup_rc" != 0 ] ||
	fail "GUP of a udmabuf file's mapping worked: the memfd's page-cache pages were inserted as pages"
case $gup in *"Bad address"*) ;; *) fail "mapcheck gup of a udmabuf file: $gup" ;; esac
expect_eq "udmabuf: present pages" "$(pm_field "$pm" present)" "$(pm_field "$pm" pages)"
expect_eq "udmabuf: pages pagemap marks as file pages" "$(pm_field "$pm" file)" 0
expect_eq "udmabuf: pages in the rmap" "$(pm_field "$pm" mapped)" 0
# ... said once, at mount
dmesg | grep "$RAWLINE" || true
expect_eq "udmabuf: raw-frames log lines" "$(dmesg | grep -c "dma-buf from udmabuf: .*$RAWLINE" || true)" 1
expect_eq "chroot busybox (udmabuf)" "$(chroot /mnt/u /bin/sh -c 'echo ran from a udmabuf')" "ran from a udmabuf"
umount /mnt/u
rmmod daxfs
