# Scenario: corrupted images (from corrupt.py, in /in/bad/) are each refused at mount with
# EUCLEAN ("Structure needs cleaning") and exactly one kernel log line, and the kernel stays
# healthy (/init fails the run on BUG/WARNING/Oops). Then the refusals, each EINVAL with one
# line: offset beyond the device, unaligned offset, phys range in System RAM (and EBUSY: the
# range of the bound pmem namespace by phys=); and -o rw, which
# mounts read-only (as EROFS does), not refused. An image whose superblock lists only 64 KiB
# pages (page_sizes) is refused with EINVAL and one line naming the page sizes.
provision fsdax >/dev/null
dev=$(ns_dev fsdax)
wait_dev "$dev"
modprobe daxfs
mkdir -p /mnt/d
size=$(blockdev --getsize64 "$dev")

# refused WHAT ERROR MOUNT-ARGS...: the mount fails with ERROR (strerror text) and the kernel
# logs exactly one daxfs line; sets $msg to it.
refused() {
	what=$1 want=$2
	shift 2
	dmesg -c >/dev/null
	if mount "$@" 2>/tmp/err; then
		umount /mnt/d
		fail "$what: mounted"
	fi
	grep -q "$want" /tmp/err || fail "$what: want '$want', got: $(cat /tmp/err)"
	lines=$(dmesg | grep -c 'daxfs' || true)
	if [ "$lines" != 1 ]; then
		dmesg | grep daxfs || true
		fail "$what: $lines daxfs kernel log lines, want exactly 1"
	fi
	msg=$(dmesg | grep 'daxfs')
}

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
	if [ "$name" = page-sizes-64k ]; then
		# An image for 64 KiB pages only: refused for this kernel's 4 KiB pages (EINVAL)
		refused "$name" "Invalid argument" -t daxfs -o ro,offset=$off "$dev" /mnt/d
		case $msg in
		*"supports page sizes 0x10000, this kernel's pages are 4096 bytes"*) ;;
		*) fail "$name: the log line does not name the page sizes: $msg" ;;
		esac
		echo "$name: ${msg#*] }"
		continue
	fi
	refused "$name" "Structure needs cleaning" -t daxfs -o ro,offset=$off "$dev" /mnt/d
	case $msg in
	*"invalid image"*) ;;
	*) fail "$name: the log line does not say 'invalid image': $msg" ;;
	esac
	# A huge string pool with a good superblock checksum is refused from the superblock alone,
	# before anything is allocated or copied (daxfs_validate_super before the snapshot).
	if [ "$name" = str-size-huge ]; then
		case $msg in
		*"metadata size"*"does not match the tables"*) ;;
		*) fail "$name: not refused by the superblock check: $msg" ;;
		esac
	fi
	echo "$name: ${msg#*] }"
	n=$((n + 1))
done
[ "$n" -ge 11 ] || fail "only $n corrupted images were tried"

say "refusals"
dd if=/in/good of="$dev" bs=1M conv=fsync 2>/dev/null
mount -t daxfs -o rw "$dev" /mnt/d || fail "-o rw was refused: $(dmesg | tail -2)"
grep -q " /mnt/d daxfs ro[, ]" /proc/mounts || fail "-o rw did not mount read-only: $(grep /mnt/d /proc/mounts)"
umount /mnt/d
refused "offset beyond the device" "Invalid argument" -t daxfs -o ro,offset=$((size + 4096)) "$dev" /mnt/d
echo "offset beyond: ${msg#*] }"
refused "unaligned offset" "Invalid argument" -t daxfs -o ro,offset=100 "$dev" /mnt/d
echo "unaligned: ${msg#*] }"
ram=$(grep -m1 'System RAM' /proc/iomem | cut -d- -f1 | tr -d ' ')
refused "System RAM range" "Invalid argument" -t daxfs -o ro,phys=0x$ram,size=0x200000 none /mnt/d
case $msg in
*"intersects System RAM"*) ;;
*) fail "no message for the System RAM range: $msg" ;;
esac
# phys= of the fsdax namespace's range: the bound pmem driver owns it (EBUSY, docs/daxfs.md)
nsdir=/sys/block/${dev#/dev/}/device
refused "phys= of a bound pmem namespace" "resource busy" -t daxfs \
	-o ro,phys=$(cat $nsdir/resource),size=$(cat $nsdir/size) none /mnt/d
echo "pmem namespace by phys=: ${msg#*] }"
mount -t daxfs -o ro "$dev" /mnt/d || fail "the good image does not mount after the refusals"
umount /mnt/d
rmmod daxfs
