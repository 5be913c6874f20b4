# Guest side of bench/mount.sh (P6): one mount(2) of each image (daxfs and EROFS-DAX, 16 MiB and
# 1 GiB; label-less NVDIMMs found by their sizes, copied into fsdax namespaces), timed by
# daxbench, caches dropped before each.
. /in/lib.sh
modprobe daxfs
modprobe erofs
r1=$(pmem_of_size "$SZ_D16") r2=$(pmem_of_size "$SZ_D1G") r3=$(pmem_of_size "$SZ_E16") r4=$(pmem_of_size "$SZ_E1G")
D16=$(fsdax_copy "$r1")
D1G=$(fsdax_copy "$r2")
E16=$(fsdax_copy "$r3")
E1G=$(fsdax_copy "$r4")
mkdir -p /mnt/x
for r in $(seq "$ROUNDS"); do
	for c in erofs-16:$E16 daxfs-16:$D16 erofs-1g:$E1G daxfs-1g:$D1G; do
		case=${c%%:*} dev=${c#*:}
		opts=
		[ "${case%-*}" = erofs ] && opts=dax=always
		drop
		out=$(daxbench mount "${case%-*}" "$dev" /mnt/x "$opts")
		[ -d /mnt/x/d9 ] || fail "$case: the mount at /mnt/x does not show the tree"
		[ "${case%-*}" = daxfs ] || grep ' /mnt/x ' /proc/mounts | grep -q dax=always || fail "$case: no DAX"
		umount /mnt/x
		result part=P6 case=$case metric=mount_s round=$r value=$(echo "$out" | field seconds)
	done
done
