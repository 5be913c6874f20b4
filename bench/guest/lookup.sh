# Guest side of bench/lookup.sh, under tests/qemu-cxl/run with -o SHARE at /out and the images
# as label-less NVDIMMs (found by their sizes SZ_DAXFS, SZ_EROFS), each copied into an fsdax
# namespace. ROUNDS interleaved rounds; caches dropped before each pass.
. /in/lib.sh
modprobe daxfs
modprobe erofs
mkdir -p /mnt/daxfs /mnt/erofs /mnt/tmpfs
d=$(fsdax_copy "$(pmem_of_size "$SZ_DAXFS")")
e=$(fsdax_copy "$(pmem_of_size "$SZ_EROFS")")
mount -t daxfs -o ro "$d" /mnt/daxfs
mount -t erofs -o ro,dax=always "$e" /mnt/erofs
mount -t tmpfs -o size=50% tmpfs /mnt/tmpfs
cp -a /mnt/daxfs/. /mnt/tmpfs/
grep " /mnt/erofs " /proc/mounts | grep -q dax=always || fail "erofs is not mounted with DAX"
for fs in daxfs erofs tmpfs; do
	for dir in bigdir links; do
		[ "$(ls /mnt/$fs/$dir | wc -l)" = 100000 ] || fail "/mnt/$fs/$dir does not have 100000 entries"
	done
	# The links are links: two inodes between them, and the files of bigdir are not.
	[ "$(ls -i /mnt/$fs/links | awk '{ print $1 }' | sort -u | wc -l)" = 2 ] ||
		fail "/mnt/$fs/links: not 100000 links to two inodes"
	[ "$(stat -c %h /mnt/$fs/bigdir/f000000)" = 1 ] || fail "/mnt/$fs/bigdir/f000000 has links"
done
for r in $(seq "$ROUNDS"); do
	for fs in erofs daxfs tmpfs; do
		drop
		out=$(daxbench statnames /mnt/$fs/bigdir /out/names)
		result part=P4 case=$fs metric=stat_us round=$r value=$(echo "$out" | field us_per_stat)
		drop
		out=$(daxbench statnames /mnt/$fs/links /out/names)
		result part=P4 case=$fs metric=stat_linked_us round=$r value=$(echo "$out" | field us_per_stat)
		drop
		out=$(daxbench statmissing /mnt/$fs/bigdir /out/missing)
		result part=P4 case=$fs metric=stat_miss_us round=$r value=$(echo "$out" | field us_per_stat)
	done
	# bench/patches/iget-parts.patch applied: the hit pass again with inodes made its two ways.
	p=/sys/module/daxfs/parameters/bench_iget
	[ -e $p ] || continue
	for m in 1 2; do
		echo $m >$p
		drop
		out=$(daxbench statnames /mnt/daxfs/bigdir /out/names)
		result part=P4 case=daxfs-iget$m metric=stat_us round=$r value=$(echo "$out" | field us_per_stat)
	done
	echo 0 >$p
done
umount /mnt/daxfs /mnt/erofs /mnt/tmpfs
