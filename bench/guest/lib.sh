# bench/guest/lib.sh: the bench guests' helpers, given to each guest with `run -i` and sourced
# as /in/lib.sh after tests/qemu-cxl/guest/lib.sh (busybox sh).

# result KEY=VALUE...: one result line (bench/lib.sh describes them).
result() { echo "RESULT host=$(hostname) $*"; }

# pmem_of_size BYTES: the /dev/pmemN whose size is BYTES (bench/lib.sh's nvdimm_files makes
# the sizes unique); fails unless exactly one has it. The images come in as label-less NVDIMMs
# (raw pmem): Linux gives raw namespaces no DAX, so fsdax_copy moves each into an fsdax one.
pmem_of_size() {
	found=
	for b in /sys/block/pmem*; do
		[ -e "$b/size" ] || continue
		[ $(($(cat "$b/size") * 512)) = "$1" ] || continue
		[ -z "$found" ] || fail "two pmem devices of $1 bytes: $found and /dev/${b##*/}"
		found=/dev/${b##*/}
	done
	[ -n "$found" ] || { ls -l /sys/block; fail "no pmem device of $1 bytes"; }
	wait_dev "$found"
	echo "$found"
}

# cache_kib: the page cache, KiB (Cached + Buffers; tmpfs pages count in Cached as Shmem).
cache_kib() { awk '/^(Cached|Buffers):/ { s += $2 } END { print s }' /proc/meminfo; }
# free_kib: MemFree, KiB (what reading a file costs in RAM, page cache or not).
free_kib() { awk '/^MemFree:/ { print $2 }' /proc/meminfo; }
kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# field NAME: the value of NAME=... in the line on stdin (daxbench's output).
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p"; }

# fsdax_copy RAW: a new fsdax namespace on the guest's own (labelled) NVDIMM, region0, big
# enough for the bytes of the raw pmem device RAW, which are copied into it (memory to memory,
# no 9p). Prints its /dev/pmemN. Resolve every raw device (pmem_of_size) before the first call:
# the new devices' sizes are not kept apart from theirs.
fsdax_copy() {
	# the namespace's info block (2 MiB) and the region's 16 MiB alignment
	sz=$((($(daxio size "$1") + 4194304 + 16777215) / 16777216 * 16777216))
	dev=/dev/$(provision fsdax "$sz" | grep -o '"blockdev":"[^"]*"' | cut -d'"' -f4)
	[ "$dev" != /dev/ ] || fail "fsdax_copy: no block device for the new namespace"
	wait_dev "$dev"
	dd if="$1" of="$dev" bs=4M conv=fsync 2>/dev/null
	echo "$dev"
}
