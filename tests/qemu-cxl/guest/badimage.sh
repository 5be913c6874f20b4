# Scenario: corrupted images (from corrupt.py, in /in/bad/) are each refused at mount with one
# clear kernel log line, and the kernel stays healthy (/init fails the run on BUG/WARNING/Oops).
# Then the refusals: rw, offset beyond the device, unaligned offset, phys range in System RAM.
provision fsdax >/dev/null
dev=$(ns_dev fsdax)
wait_dev "$dev"
modprobe daxfs
mkdir -p /mnt/d
size=$(blockdev --getsize64 "$dev")
n=0
for img in /in/bad/*; do
	name=$(basename "$img")
	off=0
	dd if=/dev/zero of="$dev" bs=1M count=8 conv=fsync 2>/dev/null
	if [ "$name" = truncated ]; then
		# On a device, a short copy is just an image with zeros after it: truncate for real
		# by placing the good image so that it runs past the end of the device.
		off=$((size - (2 << 20)))
		img=/in/good
	fi
	# (count: the truncated copy stops at the end of the device)
	dd if="$img" of="$dev" bs=1M count=$(((size - off) >> 20)) seek="$off" oflag=seek_bytes conv=fsync 2>/dev/null
	dmesg -c >/dev/null
	if mount -t daxfs -o ro,offset=$off "$dev" /mnt/d 2>/tmp/err; then
		umount /mnt/d
		fail "$name: a corrupted image was mounted"
	fi
	msg=$(dmesg | grep 'daxfs: .*invalid image' | head -1)
	[ -n "$msg" ] || fail "$name: refused without a kernel log line: $(cat /tmp/err)"
	echo "$name: ${msg#*] }"
	n=$((n + 1))
done
[ "$n" -ge 10 ] || fail "only $n corrupted images were tried"

say "refusals"
dd if=/in/good of="$dev" bs=1M conv=fsync 2>/dev/null
! mount -t daxfs -o rw "$dev" /mnt/d 2>/dev/null || fail "mounted read-write"
! mount -t daxfs -o ro,offset=$((size + 4096)) "$dev" /mnt/d 2>/dev/null || fail "offset beyond the device accepted"
! mount -t daxfs -o ro,offset=100 "$dev" /mnt/d 2>/dev/null || fail "unaligned offset accepted"
ram=$(grep -m1 'System RAM' /proc/iomem | cut -d- -f1 | tr -d ' ')
! mount -t daxfs -o ro,phys=0x$ram,size=0x200000 none /mnt/d 2>/dev/null || fail "a System RAM range was accepted"
dmesg | grep -q 'intersects System RAM' || fail "no message for the System RAM range"
mount -t daxfs -o ro "$dev" /mnt/d || fail "the good image does not mount after the refusals"
umount /mnt/d
rmmod daxfs
