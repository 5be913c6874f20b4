# Guest side of bench/read.sh (P3, P4), under tests/qemu-cxl/run with -o SHARE at /out and the
# images as label-less NVDIMMs (raw /dev/pmemN, found by their sizes SZ_DAXFS, SZ_EROFS,
# SZ_EXT4), each copied into an fsdax namespace. One tree four ways: daxfs, EROFS-DAX (dax=always), ext4-DAX (dax=always), and tmpfs
# (copied from the daxfs mount before the rounds, so already resident). ROUNDS interleaved
# rounds, caches dropped before each pass. Per pass: read every file (time, page-cache growth),
# read the one 64 MiB file, lstat NAMES random names of the 100,000-entry directory.
. /in/lib.sh
modprobe daxfs
modprobe erofs
modprobe ext4
mkdir -p /mnt/daxfs /mnt/erofs /mnt/ext4 /mnt/tmpfs
rd=$(pmem_of_size "$SZ_DAXFS") re=$(pmem_of_size "$SZ_EROFS") r4=$(pmem_of_size "$SZ_EXT4")
d=$(fsdax_copy "$rd")
e=$(fsdax_copy "$re")
x=$(fsdax_copy "$r4")
mount -t daxfs -o ro "$d" /mnt/daxfs
mount -t erofs -o ro,dax=always "$e" /mnt/erofs
mount -t ext4 -o ro,noload,dax=always "$x" /mnt/ext4
mount -t tmpfs -o size=90% tmpfs /mnt/tmpfs
cp -a /mnt/daxfs/. /mnt/tmpfs/
grep -E ' /mnt/' /proc/mounts
for fs in erofs ext4; do
	grep " /mnt/$fs " /proc/mounts | grep -q dax=always || fail "$fs is not mounted with DAX"
done
for fs in daxfs erofs ext4 tmpfs; do
	[ "$(ls /mnt/$fs/bigdir | wc -l)" = 100000 ] || fail "/mnt/$fs/bigdir does not have 100000 entries"
done
for r in $(seq "$ROUNDS"); do
	for fs in erofs daxfs ext4 tmpfs; do
		drop; c0=$(cache_kib)
		out=$(daxbench readall /mnt/$fs)
		c1=$(cache_kib)
		result part=P3 case=$fs metric=read_all_s round=$r value=$(echo "$out" | field seconds)
		result part=P3 case=$fs metric=read_all_cache_mib round=$r value=$(kib_to_mib $((c1 - c0)))
		drop
		out=$(daxbench readall /mnt/$fs/random64)
		result part=P3 case=$fs metric=read_64m_s round=$r value=$(echo "$out" | field seconds)
		drop
		out=$(daxbench statnames /mnt/$fs/bigdir /out/names)
		result part=P4 case=$fs metric=stat_us round=$r value=$(echo "$out" | field us_per_stat)
	done
done
umount /mnt/daxfs /mnt/erofs /mnt/ext4 /mnt/tmpfs
