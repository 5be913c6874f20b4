# Guest side of bench/mount-time.sh (runs under tests/qemu-cxl/run with -o SHARE at /out): the
# 16 MiB image at offset 0 and the 1 GiB one at 64 MiB of one fsdax namespace; MOUNTS
# interleaved mount+umount of each, timed with /proc/uptime around each series.
nvdimm_init_labels
provision fsdax >/dev/null
dev=$(ns_dev fsdax)
wait_dev "$dev"
dd if=/out/small.daxfs of="$dev" bs=4M conv=fsync 2>/dev/null
dd if=/out/big.daxfs of="$dev" bs=4M seek=16 conv=fsync 2>/dev/null
modprobe daxfs
mkdir -p /mnt/d
ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
for image in small big small big; do
	opt=ro
	[ $image = small ] || opt=ro,offset=$((64 << 20))
	mount -t daxfs -o $opt "$dev" /mnt/d	# once untimed: the first mount of each
	umount /mnt/d
	t0=$(ms)
	i=0
	while [ $i -lt "$MOUNTS" ]; do
		mount -t daxfs -o $opt "$dev" /mnt/d
		umount /mnt/d
		i=$((i + 1))
	done
	t1=$(ms)
	echo "RESULT image=$image ms_per_mount=$(awk -v d=$((t1 - t0)) -v n="$MOUNTS" 'BEGIN { printf "%.2f", d / n }')"
done
