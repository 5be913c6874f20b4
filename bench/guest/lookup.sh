# Guest side of bench/lookup.sh, under tests/qemu-cxl/run with -o SHARE at /out and the images
# as label-less NVDIMMs (found by their sizes SZ_DAXFS, SZ_EROFS), each copied into an fsdax
# namespace. ROUNDS rounds, the passes of each in a new random order (so that load or drift
# does not favour a fixed place in the round); caches dropped before each pass.
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
	# The links are links (two inodes, 50,001 names each), the files of bigdir are not.
	[ "$(ls -i /mnt/$fs/links | awk '{ print $1 }' | sort -u | wc -l)" = 2 ] ||
		fail "/mnt/$fs/links: not 100000 links to two inodes"
	[ "$(stat -c %h /mnt/$fs/links/f000000 /mnt/$fs/links/f000001 | sort -u)" = 50001 ] ||
		fail "/mnt/$fs/links: the targets do not have 50001 links each"
	[ "$(head -n 200 /out/names | sed "s|^|/mnt/$fs/bigdir/|" | xargs stat -c %h | sort -u)" = 1 ] ||
		fail "/mnt/$fs/bigdir: a file has links"
done
# What every inode allocation pays for beyond the VFS: the security modules (their blobs, hooks).
[ -e /sys/kernel/security/lsm ] || mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
echo "guest: $(uname -r); LSMs: $(cat /sys/kernel/security/lsm 2>/dev/null || echo unknown); cmdline: $(cat /proc/cmdline)"
p=/sys/module/daxfs/parameters/bench_iget
passes=""
for fs in erofs daxfs tmpfs; do
	passes="$passes $fs:hit $fs:linked $fs:miss"
done
# bench/patches/iget-parts.patch applied: the hit pass with inodes made by new_inode() too.
[ -e $p ] && passes="$passes daxfs:iget1 daxfs:iget2"
for r in $(seq "$ROUNDS"); do
	for pass in $(echo $passes | tr ' ' '\n' | awk -v s="$r$$" 'BEGIN { srand(s) } { print rand() "\t" $0 }' |
		      sort -n | cut -f 2); do
		fs=${pass%%:*} kind=${pass#*:} case=$fs
		[ -e $p ] && echo 0 >$p
		case $kind in
		hit) dir=bigdir list=names metric=stat_us cmd=statnames ;;
		linked) dir=links list=names metric=stat_linked_us cmd=statnames ;;
		miss) dir=bigdir list=missing metric=stat_miss_us cmd=statmissing ;;
		iget*) dir=bigdir list=names metric=stat_us cmd=statnames case=daxfs-$kind
		       echo "${kind#iget}" >$p ;;
		esac
		drop
		out=$(daxbench $cmd /mnt/$fs/$dir /out/$list)
		result part=P4 case=$case metric=$metric round=$r value=$(echo "$out" | field us_per_stat)
	done
done
[ -e $p ] && echo 0 >$p
umount /mnt/daxfs /mnt/erofs /mnt/tmpfs
