# Guest side of bench/read-vs-erofs.sh (runs under tests/qemu-cxl/run with -o SHARE at /out):
# the same tree as a daxfs image and an EROFS image (-Enoinline_data), each on its own fsdax
# namespace of one NVDIMM, mounted daxfs and erofs -o dax=always; ROUNDS interleaved rounds,
# page cache dropped before each pass. Prints per pass: read-all time and Cached growth, and
# microseconds per lstat of NAMES random names in a 100,000-entry directory, and the time of one
# sequential read of the 64 MiB file in 1 MiB reads (caches dropped before).
nvdimm_init_labels
provision fsdax 448M >/dev/null
provision fsdax 448M >/dev/null
set -- $(ndctl list -N | grep -o '"blockdev":"[^"]*"' | cut -d'"' -f4 | sort)
[ $# = 2 ] || fail "want two fsdax namespaces, have: $*"
wait_dev /dev/$1
wait_dev /dev/$2
dd if=/out/img.daxfs of=/dev/$1 bs=4M conv=fsync 2>/dev/null
dd if=/out/img.erofs of=/dev/$2 bs=4M conv=fsync 2>/dev/null
modprobe daxfs
modprobe erofs
mkdir -p /mnt/daxfs /mnt/erofs
mount -t daxfs -o ro /dev/$1 /mnt/daxfs
mount -t erofs -o ro,dax=always /dev/$2 /mnt/erofs
grep -E 'daxfs|erofs' /proc/mounts
cached() { awk '/^Cached:/ { print $2 }' /proc/meminfo; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
for r in $(seq "$ROUNDS"); do
	for fs in erofs daxfs; do
		drop; c0=$(cached)
		t=$(fscheck readall /mnt/$fs | sed 's/.*seconds=//')
		c1=$(cached)
		drop
		us=$(fscheck statnames /mnt/$fs/bigdir /out/names | sed 's/.*us_per_stat=//')
		drop
		seq=$(fscheck seqread /mnt/$fs/random64 | sed 's/.*seconds=//')
		echo "RESULT round=$r fs=$fs read_s=$t cached_kib=$((c1 - c0)) stat_us=$us seq64_s=$seq"
	done
done
umount /mnt/daxfs /mnt/erofs
