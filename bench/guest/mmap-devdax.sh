# Guest side of bench/mmap-devdax.sh (runs under tests/qemu-cxl/run, the image at
# /in/img.daxfs): the image of one 64 MiB file stamped at 2 MiB into a device-dax instance,
# mounted by path with devpages (PMDs need device pages; kernel/compat.h); ROUNDS interleaved rounds of mapping the file as placed (2 MiB PMDs) and
# 4 KiB off the 2 MiB grid (4 KiB pages), each a fresh mapping in a fresh process.
provision devdax >/dev/null
dax=$(ns_dev devdax)
wait_dev "$dax"
name=${dax#/dev/}
echo "$name: resource $(cat /sys/bus/dax/devices/$name/resource) size $(cat /sys/bus/dax/devices/$name/size)"
daxio copyin "$dax" 0x200000 /in/img.daxfs
modprobe daxfs
mkdir -p /mnt/b
mount -t daxfs -o ro,devpages,offset=$((0x200000)) "$dax" /mnt/b || fail "mount: $(dmesg | tail -2)"
for r in $(seq "$ROUNDS"); do
	for m in pmd 4k; do
		out=$(mapcheck touch /mnt/b/big $([ $m = 4k ] && echo skew)) || fail "mapcheck: $out"
		set -- $(echo "$out" | head -1)
		echo "RESULT round=$r map=$m $2 $3"
	done
done
umount /mnt/b
