# Scenario: daxfs mounts an image from DAX memory and serves it exactly as the source tree was.
# Inputs: /in/image (the image), /in/manifest (fscheck manifest of the source, made on the
# host). Env: MODE (fsdax: /dev/pmemN), OFFSET (bytes, where the image is written and mounted).
# Mounted with -o trusted for the comparison (setuid bits, file capabilities, devices as in the
# source); then without any option, where the image must grant no privilege.
OFFSET=${OFFSET:-0}
provision fsdax >/dev/null
dev=$(ns_dev fsdax)
wait_dev "$dev"
dd if=/in/image of="$dev" bs=1M seek="$OFFSET" oflag=seek_bytes conv=fsync 2>/dev/null
modprobe daxfs
mkdir -p /mnt/d
opts=ro,trusted
[ "$OFFSET" = 0 ] || opts="ro,trusted,offset=$OFFSET"
mount -t daxfs -o "$opts" "$dev" /mnt/d || fail "mount -t daxfs -o $opts $dev failed: $(dmesg | tail -3)"
grep " /mnt/d daxfs " /proc/mounts
grep -q " /mnt/d daxfs ro" /proc/mounts || fail "not mounted read-only"

say "show_options: ro, trusted, and offset= exactly when not 0"
mopts=,$(grep " /mnt/d daxfs " /proc/mounts | cut -d' ' -f4),
case $mopts in *,ro,*) ;; *) fail "/proc/mounts options $mopts lack ro" ;; esac
case $mopts in *,trusted,*) ;; *) fail "/proc/mounts options $mopts lack trusted" ;; esac
if [ "$OFFSET" = 0 ]; then
	case $mopts in *,offset=*) fail "offset= shown for offset 0: $mopts" ;; esac
else
	case $mopts in *,offset="$OFFSET",*) ;; *) fail "/proc/mounts options $mopts lack offset=$OFFSET" ;; esac
fi

say "statfs: magic, block size, blocks, files, name length, nothing free"
daxpool inspect /in/image --json > /tmp/inspect
total=$(jsonget superblock.total_size /tmp/inspect)
inodes=$(jsonget superblock.inodes /tmp/inspect)
# %t type (hex), %s f_bsize, %S f_frsize, %b blocks, %c files, %l name length, %a %f %d free
expect_eq "stat -f" "$(stat -f -c '%t %s %S %b %c %l %a %f %d' /mnt/d)" \
	"53465844 4096 4096 $((total / 4096)) $inodes 255 0 0 0"

say "the fsdax device is claimed exclusively while mounted"
out=$(fscheck openexcl "$dev") && fail "an O_EXCL open of $dev succeeded while mounted"
expect_eq "O_EXCL open while mounted" "$out" "$dev: Device or resource busy"

say "content and metadata against the host's manifest"
expect_tree /mnt/d

say "lookups, readdir, stat"
expect_eq "entries in many/" "$(ls /mnt/d/many | wc -l)" 300
expect_eq "readdir positions" "$(fscheck dirpos /mnt/d/many)" "302 entries"
expect_eq "lookup" "$(cat /mnt/d/many/entry-0123)" 123
[ ! -e /mnt/d/many/entry-9999 ] || fail "a missing name was found"
expect_eq "symlink" "$(cat /mnt/d/link-rel)" "hello, daxfs"
expect_eq "hard links" "$(stat -c %i /mnt/d/hard/one)" "$(stat -c %i /mnt/d/hard-three)"
expect_eq "blocks of 3 MiB file" "$(stat -c %b /mnt/d/data/three-mib)" 6144

say "overlayfs on daxfs with index=on,nfs_export=on (upper on tmpfs): copy-up, file handles"
# Both options need a lower layer that encodes and decodes file handles (export_operations);
# without them overlayfs falls back to index=off,nfs_export=off and its handles cannot be made.
modprobe overlay
mkdir -p /tmp/ovl /mnt/o
mount -t tmpfs tmpfs /tmp/ovl
mkdir /tmp/ovl/u /tmp/ovl/w
dmesg -c >/dev/null
mount -t overlay -o lowerdir=/mnt/d,upperdir=/tmp/ovl/u,workdir=/tmp/ovl/w,index=on,nfs_export=on \
	overlay /mnt/o || fail "overlay mount: $(dmesg | tail -3)"
oopts=,$(grep " /mnt/o overlay " /proc/mounts | cut -d' ' -f4),
case $oopts in *,index=on,*nfs_export=on,*) ;; *) fail "overlay options $oopts (kernel: $(dmesg | grep overlay))" ;; esac
echo appended >> /mnt/o/hello.txt
expect_eq "copied-up file" "$(cat /mnt/o/hello.txt)" "$(printf 'hello, daxfs\nappended')"
expect_eq "the lower file" "$(cat /mnt/d/hello.txt)" "hello, daxfs"
[ -f /tmp/ovl/u/hello.txt ] || fail "no copy-up in the upper layer"
for f in /data/three-mib /hello.txt; do
	h=$(fscheck handle /mnt/o "/mnt/o$f")
	# (a file's dentry may come back disconnected: /proc shows "/"; the content must match)
	case $h in "type="*" same_content=1"*) ;; *) fail "overlay handle of $f: $h" ;; esac
	echo "overlay handle of $f: ${h%% bad_ino=*}"
done
# a directory's is reconnected to its full path
h=$(fscheck handle /mnt/o /mnt/o/data/nested/deeper)
case $h in "type="*" path=/mnt/o/data/nested/deeper"*) ;; *) fail "overlay directory handle: $h" ;; esac
umount /mnt/o
umount /tmp/ovl

say "file handles (NFS export): open_by_handle_at after the dentry and inode caches are dropped"
h=$(fscheck handle /mnt/d /mnt/d/data/three-mib)
echo "file: $h"
case $h in *" same_content=1 bad_ino=Stale file handle") ;; *) fail "file handle: $h" ;; esac
# A directory's handle is reconnected to its full path through get_parent.
expect_eq "directory handle" "$(fscheck handle /mnt/d /mnt/d/data/nested/deeper)" \
	"type=1 path=/mnt/d/data/nested/deeper bad_ino=Stale file handle"

say "mmap: MAP_SHARED and MAP_PRIVATE"
fscheck mmap /mnt/d/data/three-mib > /tmp/mmap
cat /tmp/mmap
grep -q "mmap ok" /tmp/mmap || fail "mmap check"
# A 2 MiB-aligned extent on memory with struct pages (fsdax) is mapped with PMDs.
faults=$(sed -n 's/faults=//p' /tmp/mmap)
[ "$faults" -le 2 ] || fail "first 2 MiB of three-mib took $faults faults: not PMD-mapped"
fscheck mmap /mnt/d/page-plus-one

say "fiemap: one extent per file at its byte offset in the source, as the image lays it out"
# expect_fiemap PATH: offset= + the file's data_offset (daxpool inspect), its size in 4 KiB
# blocks, FIEMAP_EXTENT_LAST (0x1); no extent for an empty file.
expect_fiemap() {
	daxpool inspect -j /in/image "$1" > /tmp/ino.json
	sz=$(jsonget size /tmp/ino.json)
	want=
	[ "$sz" = 0 ] || want="0 $((OFFSET + $(jsonget data_offset /tmp/ino.json))) $(((sz + 4095) / 4096 * 4096)) 0x1"
	expect_eq "fiemap of $1" "$(fiemap "/mnt/d$1")" "$want"
	echo "$1: ${want:-no extent}"
}
for f in /data/three-mib /page-plus-one /hello.txt /empty; do expect_fiemap "$f"; done

if [ -f /mnt/d/data/big ]; then
	say "zero copy: reading a big file does not grow the page cache"
	cached() { awk '/^Cached:/ { print $2 }' /proc/meminfo; }
	big_kib=$(($(stat -c %s /mnt/d/data/big) >> 10))
	sync; echo 3 > /proc/sys/vm/drop_caches; c0=$(cached)
	h=$(fscheck read /mnt/d/data/big)
	c1=$(cached)
	echo "daxfs: Cached grew by $((c1 - c0)) KiB reading $big_kib KiB"
	[ $((c1 - c0)) -lt 4096 ] || fail "daxfs read grew the page cache by $((c1 - c0)) KiB"
	# One read() of 16 MiB is copied in 2 MiB sections (kernel/file.c): same bytes.
	expect_eq "16 MiB reads" "$(dd if=/mnt/d/data/big bs=16M 2>/dev/null | md5sum | cut -d' ' -f1)" \
		"$(md5sum < /mnt/d/data/big | cut -d' ' -f1)"
	# The contrast: the same file on ext2 (a RAM block device, no DAX) goes through the cache.
	modprobe brd rd_nr=1 rd_size=$((big_kib + 16384))
	mke2fs -q /dev/ram0 >/dev/null && mkdir -p /mnt/e && mount -t ext4 /dev/ram0 /mnt/e
	cp /mnt/d/data/big /mnt/e/big
	sync; echo 3 > /proc/sys/vm/drop_caches; c0=$(cached)
	expect_eq "ext2 copy hash" "$(fscheck read /mnt/e/big)" "$h"
	c1=$(cached)
	echo "ext2 without DAX: Cached grew by $((c1 - c0)) KiB"
	[ $((c1 - c0)) -gt $((big_kib * 9 / 10)) ] || fail "the non-DAX contrast did not fill the page cache"
	umount /mnt/e
fi

say "programs run from the image"
expect_eq "chroot busybox" "$(chroot /mnt/d /bin/sh -c 'echo ran from daxfs')" "ran from daxfs"

say "trusted: setuid, file capabilities and device nodes work as on any filesystem"
expect_eq "setuid-root program run by uid 65534" \
	"$(fscheck as 65534 65534 /mnt/d/priv/suid ids | cut -d' ' -f1)" "euid=0"
expect_eq "program with cap_dac_read_search+ep run by uid 65534" \
	"$(fscheck as 65534 65534 /mnt/d/priv/caps ids)" "euid=65534 egid=65534 capeff=0000000000000004"
expect_eq "open the image's null device" "$(fscheck open /mnt/d/null)" "opened"

say "POSIX ACLs are enforced: user 1000 is denied what the mode's group bits allow group 0"
expect_eq "mode of acl/secret (group bits: the ACL mask)" "$(stat -c %a /mnt/d/acl/secret)" 640
expect_eq "uid 1001 in group 0 reads" "$(fscheck as 1001 0 cat /mnt/d/acl/secret)" \
	"for group 0, not for user 1000"
if fscheck as 1000 0 cat /mnt/d/acl/secret >/dev/null 2>/tmp/err; then
	fail "user 1000 read a file its ACL entry denies"
fi
grep -q "Permission denied" /tmp/err || fail "ACL denial: $(cat /tmp/err)"

say "immutable (statx, FS_IOC_GETFLAGS), label (FS_IOC_GETFSLABEL), RWF_NOWAIT and O_DIRECT reads"
expect_eq "attrs" "$(fscheck attrs /mnt/d/page-plus-one)" \
	"statx_immutable=1 getflags_immutable=1 label=daxfs-test nowait=ok direct=ok"

say "splice (sendfile's path): the same bytes as read()"
for f in /mnt/d/data/three-mib /mnt/d/page-plus-one; do
	expect_eq "splice of $f" "$(fscheck splice "$f")" "$(fscheck read "$f")"
done

say "read-only"
! touch /mnt/d/new 2>/dev/null || fail "created a file"
! mount -o remount,rw /mnt/d 2>/dev/null || fail "remounted read-write"
grep -q " /mnt/d daxfs ro" /proc/mounts || fail "no longer read-only after a refused remount"
mount -o remount,ro /mnt/d || fail "a read-only remount with the same options was refused"
grep " /mnt/d daxfs " /proc/mounts
! mount -o remount,ro,dmabuf /mnt/d 2>/dev/null || fail "remount with dmabuf accepted on an fsdax mount"

umount /mnt/d

say "a plain mount (no -o at all): read-only, and the image grants no privilege"
plain=
[ "$OFFSET" = 0 ] || plain="-o offset=$OFFSET"
# shellcheck disable=SC2086
mount -t daxfs $plain "$dev" /mnt/d || fail "mount -t daxfs $plain $dev failed: $(dmesg | tail -3)"
mopts=,$(grep " /mnt/d daxfs " /proc/mounts | cut -d' ' -f4),
echo "options: $mopts"
case $mopts in *,ro,*) ;; *) fail "a plain mount is not read-only: $mopts" ;; esac
case $mopts in *,trusted,*) fail "a plain mount shows trusted: $mopts" ;; esac
! touch /mnt/d/new 2>/dev/null || fail "created a file"
! mount -o remount,rw /mnt/d 2>/dev/null || fail "remounted read-write"
! mount -o remount,ro,trusted /mnt/d 2>/dev/null || fail "trusted added on remount"
expect_eq "mode of the setuid program (bits not served)" "$(stat -c %a /mnt/d/priv/suid)" 755
expect_eq "setuid-root program run by uid 65534" "$(fscheck as 65534 65534 /mnt/d/priv/suid ids)" \
	"euid=65534 egid=65534 capeff=0000000000000000"
expect_eq "program with a file capability run by uid 65534" \
	"$(fscheck as 65534 65534 /mnt/d/priv/caps ids)" "euid=65534 egid=65534 capeff=0000000000000000"
expect_eq "getxattr security.capability" \
	"$(fscheck getxattr /mnt/d/priv/caps security.capability || true)" "No data available"
fscheck manifest /mnt/d > /tmp/plain.manifest
! grep -q "security.capability" /tmp/plain.manifest || fail "security.capability listed"
grep -q "user.comment" /tmp/plain.manifest || fail "user.* xattrs no longer listed"
expect_eq "open the image's null device" "$(fscheck open /mnt/d/null || true)" "Permission denied"
expect_eq "the device node itself is still there" "$(stat -c '%F %t,%T' /mnt/d/null)" \
	"character special file 1,3"
if fscheck as 1000 0 cat /mnt/d/acl/secret >/dev/null 2>&1; then
	fail "user 1000 read a file its ACL entry denies (plain mount)"
fi

umount /mnt/d

say "cache invalidation: the metadata at mount, each file's extent once, before its first byte is served"
# Image A was mounted and read above (on non-coherent CXL its lines would now sit in this host's
# caches). Image B is stamped at the same place; the emulator's caches are coherent, so stale bytes
# cannot show here: the mount's counters (kernel/inval.c) are checked instead. With the test hook
# check_invalidation set at mount, uninvalidated_served counts every page served (read, mapped,
# ->access) that this mount had not invalidated before; it must stay 0.
dd if=/in/image-b of="$dev" bs=1M seek="$OFFSET" oflag=seek_bytes conv=fsync 2>/dev/null
daxpool inspect -j /in/image-b > /tmp/b.json
meta_end=$((4096 + $(jsonget superblock.meta_size /tmp/b.json)))
b_total=$(jsonget superblock.total_size /tmp/b.json)
pages() { echo $((($(stat -c %s "$1") + 4095) / 4096 * 4096)); }
echo 1 > /sys/module/daxfs/parameters/check_invalidation
# shellcheck disable=SC2086
mount -t daxfs $plain "$dev" /mnt/d || fail "mount of image B failed: $(dmesg | tail -3)"
echo 0 > /sys/module/daxfs/parameters/check_invalidation
sd=/sys/fs/daxfs/$(awk '$5 == "/mnt/d" { print $3 }' /proc/self/mountinfo)
inv() { cat "$sd/invalidated_bytes"; }
expect_eq "invalidated at mount: superblock page + metadata only ($b_total-byte image)" "$(inv)" "$meta_end"
expect_eq "image B mounted" "$(cat /mnt/d/b-hello)" "image B"
want=$((meta_end + $(pages /mnt/d/b-hello)))
expect_eq "after the first read of b-hello: + its page" "$(inv)" "$want"
fscheck read /mnt/d/a > /dev/null
want=$((want + $(pages /mnt/d/a)))
expect_eq "after the first read of a: + its pages" "$(inv)" "$want"
fscheck read /mnt/d/a > /dev/null
fscheck read /mnt/d/a-link > /dev/null
expect_eq "a read again, and through its hard link: nothing more" "$(inv)" "$want"
# The first use of m is a mapping: invalidated at mmap, before any fault maps a page of it.
mh=$(fscheck maphash /mnt/d/m)
want=$((want + $(pages /mnt/d/m)))
expect_eq "after m was first mapped: + its pages" "$(inv)" "$want"
expect_eq "m through its mapping, then read()" "$mh" "$(fscheck read /mnt/d/m)"
expect_eq "m read after its mapping: nothing more" "$(inv)" "$want"
# Evicted from the inode cache and looked up again: the mount remembers the file is done.
sync; echo 3 > /proc/sys/vm/drop_caches
fscheck read /mnt/d/a > /dev/null
expect_eq "a read after its inode was evicted: nothing more" "$(inv)" "$want"
daxbench readall /mnt/d > /dev/null
expect_eq "all files read: metadata + every file's pages once" "$(inv)" \
	"$((want + $(pages /mnt/d/sub/c)))"
expect_eq "pages served before they were invalidated" "$(cat "$sd/uninvalidated_served")" 0
umount /mnt/d
mount -t daxfs $plain "$dev" /mnt/d
expect_eq "a mount without the test hook" \
	"$(cat "/sys/fs/daxfs/$(awk '$5 == "/mnt/d" { print $3 }' /proc/self/mountinfo)/uninvalidated_served")" \
	unchecked

say "unmount and unload"
umount /mnt/d
expect_eq "O_EXCL open after umount" "$(fscheck openexcl "$dev")" "opened"
rmmod daxfs
