# Guest side of bench/pagecache.sh (P5). PHASE=setup (one boot, before the readers): the daxfs
# and ext4 images, label-less NVDIMMs found by their sizes SZ_DAXFS and SZ_EXT4, copied into
# fsdax namespaces of the shared NVDIMM; their sizes written to /out/sizes. PHASE=read: one of
# two hosts at once on that NVDIMM (namespaces from its labels, found by those sizes) reading
# both; ext4 mounted without DAX (its reads fill this host's page cache); tmpfs holds a copy
# made from the daxfs mount.
. /in/lib.sh
if [ "$PHASE" = setup ]; then
	rd=$(pmem_of_size "$SZ_DAXFS") r4=$(pmem_of_size "$SZ_EXT4")
	d=$(fsdax_copy "$rd")
	x=$(fsdax_copy "$r4")
	echo "NS_DAXFS=$(daxio size "$d") NS_EXT4=$(daxio size "$x")" > /out/sizes
	cat /out/sizes
	exit 0
fi
modprobe daxfs
modprobe ext4
d=$(pmem_of_size "$NS_DAXFS")
x=$(pmem_of_size "$NS_EXT4")
mkdir -p /mnt/daxfs /mnt/ext4 /mnt/tmpfs
mount -t daxfs -o ro "$d" /mnt/daxfs
mount -t ext4 -o ro,noload "$x" /mnt/ext4
grep -E ' /mnt/' /proc/mounts
# pass CASE ROUND CMD...: run CMD (a full read) after dropping the caches, report what it cost.
pass() {
	c=$1 r=$2
	shift 2
	drop
	c0=$(cache_kib) f0=$(free_kib)
	"$@" >/dev/null
	c1=$(cache_kib) f1=$(free_kib)
	result part=P5 case=$c metric=cache_mib round=$r value=$(kib_to_mib $((c1 - c0)))
	result part=P5 case=$c metric=ram_mib round=$r value=$(kib_to_mib $((f0 - f1)))
}
copy_read() { cp -a /mnt/daxfs/. /mnt/tmpfs/ && daxbench readall /mnt/tmpfs; }
for r in $(seq "$ROUNDS"); do
	pass daxfs $r daxbench readall /mnt/daxfs
	pass ext4 $r daxbench readall /mnt/ext4
	mount -t tmpfs -o size=512M tmpfs /mnt/tmpfs
	pass tmpfs $r copy_read
	umount /mnt/tmpfs
done
umount /mnt/daxfs /mnt/ext4
