# Scenario: daxfs mounts an image from DAX memory and serves it exactly as the source tree was.
# Inputs: /in/image (the image), /in/manifest (fscheck manifest of the source, made on the
# host). Env: MODE (fsdax: /dev/pmemN), OFFSET (bytes, where the image is written and mounted).
OFFSET=${OFFSET:-0}
provision fsdax >/dev/null
dev=$(ns_dev fsdax)
wait_dev "$dev"
dd if=/in/image of="$dev" bs=1M seek="$OFFSET" oflag=seek_bytes conv=fsync 2>/dev/null
modprobe daxfs
mkdir -p /mnt/d
opts=ro
[ "$OFFSET" = 0 ] || opts="ro,offset=$OFFSET"
mount -t daxfs -o "$opts" "$dev" /mnt/d || fail "mount -t daxfs -o $opts $dev failed: $(dmesg | tail -3)"
grep " /mnt/d daxfs " /proc/mounts
grep -q " /mnt/d daxfs ro" /proc/mounts || fail "not mounted read-only"

say "content and metadata against the host's manifest"
fscheck manifest /mnt/d > /tmp/manifest
if ! cmp -s /tmp/manifest /in/manifest; then
	diff /in/manifest /tmp/manifest | head -20
	fail "the mounted tree differs from the source"
fi
echo "$(wc -l < /tmp/manifest) entries identical"

say "lookups, readdir, stat"
expect_eq "entries in many/" "$(ls /mnt/d/many | wc -l)" 300
expect_eq "lookup" "$(cat /mnt/d/many/entry-0123)" 123
[ ! -e /mnt/d/many/entry-9999 ] || fail "a missing name was found"
expect_eq "symlink" "$(cat /mnt/d/link-rel)" "hello, daxfs"
expect_eq "hard links" "$(stat -c %i /mnt/d/hard/one)" "$(stat -c %i /mnt/d/hard-three)"
expect_eq "blocks of 3 MiB file" "$(stat -c %b /mnt/d/data/three-mib)" 6144
stat -f /mnt/d

say "mmap: MAP_SHARED and MAP_PRIVATE"
fscheck mmap /mnt/d/data/three-mib > /tmp/mmap
cat /tmp/mmap
grep -q "mmap ok" /tmp/mmap || fail "mmap check"
# A 2 MiB-aligned extent on memory with struct pages (fsdax) is mapped with PMDs.
faults=$(sed -n 's/faults=//p' /tmp/mmap)
[ "$faults" -le 2 ] || fail "first 2 MiB of three-mib took $faults faults: not PMD-mapped"
fscheck mmap /mnt/d/page-plus-one

say "programs run from the image"
expect_eq "chroot busybox" "$(chroot /mnt/d /bin/sh -c 'echo ran from daxfs')" "ran from daxfs"

say "read-only"
! touch /mnt/d/new 2>/dev/null || fail "created a file"
! mount -o remount,rw /mnt/d 2>/dev/null || fail "remounted read-write"
grep -q " /mnt/d daxfs ro" /proc/mounts || fail "no longer read-only after a refused remount"

say "unmount and unload"
umount /mnt/d
rmmod daxfs
