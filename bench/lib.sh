# bench/lib.sh: sourced by the bench scripts (bash). What they share: the guest harness's host
# side (tests/qemu-cxl/scenarios/lib.sh: RUN, WORK, run_pair, say, fail, one build before the
# guests), the input trees, the result lines, the summary.
#
# Result lines, one measurement each, the only output bench/report reads:
#   RESULT part=P3 case=daxfs metric=read_all_s round=2 value=5.12 [more KEY=VALUE]
# Guest scripts print them through the serial console (run prefixes "[guest] "); the
# collectors take everything from "RESULT " on.
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../tests/qemu-cxl/scenarios/lib.sh
. "$BENCH/../tests/qemu-cxl/scenarios/lib.sh"
DAXPOOL=$DAXPOOL_BUILD/cli/daxpool
DAXBENCH=$DAXPOOL_BUILD/bench/daxbench
BENCH_CACHE=${DAXPOOL_CACHE:-$TOP/.cache}/bench

# result KEY=VALUE...: one result line (on stdout).
result() { echo "RESULT $*"; }

now() { date +%s.%N; }
# elapsed T0: seconds since T0 (from now).
elapsed() { echo "$(now) - $1" | bc -l | awk '{ printf "%.4f", $1 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1048576 }'; }

# drop_caches: write back, then drop the page, dentry and inode caches of the host (all of it:
# other work on the machine loses its caches too).
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || fail "$t is missing (scripts/setup installs it)"
	done
}

# --- input trees --------------------------------------------------------------------------
# tree_usr_include DIR: a copy of this machine's /usr/include.
tree_usr_include() { cp -a /usr/include "$1"; }

# tree_small DIR [DIRS [FILES]]: DIRS x FILES (default 200 x 200 = 40,000) small files of
# 64-3063 random bytes.
tree_small() {
	python3 - "$1" "${2:-200}" "${3:-200}" <<'PY'
import os, sys
root, nd, nf = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(root)
for d in range(nd):
    p = os.path.join(root, f"d{d:03d}")
    os.mkdir(p)
    for f in range(nf):
        with open(os.path.join(p, f"f{f:03d}"), "wb") as fh:
            fh.write(os.urandom(64 + (d * nf + f) % 3000))
PY
}

# tree_bigdir DIR N: one directory of N empty files f000000...
tree_bigdir() { mkdir -p "$1" && (cd "$1" && seq -f 'f%06g' 0 $(($2 - 1)) | xargs touch); }

# random_file PATH MIB: MIB MiB of random bytes.
random_file() { head -c $(($2 << 20)) /dev/urandom >"$1"; }

# tree_minbase DIR: Debian bookworm, mmdebstrap --variant=minbase, unpacked with its owners and
# device nodes (needs root). The tar is made once (Debian's archive needed then) and cached in
# .cache/bench/.
tree_minbase() {
	local tar=$BENCH_CACHE/minbase-bookworm.tar
	if [ ! -f "$tar" ]; then
		need mmdebstrap
		mkdir -p "$BENCH_CACHE"
		# mmdebstrap picks its output's format by the name: keep .tar at the end
		mmdebstrap --quiet --variant=minbase bookworm "${tar%.tar}.tmp.tar" >&2 || fail "mmdebstrap of the minbase root failed"
		mv "${tar%.tar}.tmp.tar" "$tar"
	fi
	mkdir -p "$1"
	tar -C "$1" --numeric-owner -xpf "$tar"
}

# mkfs_ext4 TREE IMG: an ext4 image of TREE (4 KiB blocks, as DAX needs; no journal: it is only
# ever mounted read-only), sized to fit. Filled through a loop mount by the kernel, as a user's
# ext4 is (hashed directories: mkfs.ext4 -d makes linear ones, and takes minutes to add 100,000
# names to one).
mkfs_ext4() {
	local kib inodes m
	kib=$(du -sk "$1" | cut -f1)
	inodes=$(($(find "$1" | wc -l) + 1024))
	# data + 15 %, the inode table (256 bytes each), 32 MiB for the rest; in 2 MiB units
	kib=$(((kib * 115 / 100 + inodes / 4 + 32768 + 2047) / 2048 * 2048))
	mkfs.ext4 -q -F -b 4096 -N "$inodes" -O ^has_journal "$2" "${kib}K" >/dev/null || fail "mkfs.ext4 $2 failed"
	m=$(mktemp -d)
	mount -o loop "$2" "$m" || { rmdir "$m"; fail "cannot loop-mount $2"; }
	cp -a "$1/." "$m/" || { umount "$m"; rmdir "$m"; fail "cannot copy $1 into the ext4 image"; }
	umount "$m"
	rmdir "$m"
}

# nvdimm_files IMG...: pad each IMG with zeros to a multiple of 16 MiB, so that QEMU and Linux
# take it as a label-less NVDIMM (run --nvdimm: a raw /dev/pmemN of the whole file), to a size
# no other IMG has: guest/lib.sh's pmem_of_size finds each device by its size, and the fsdax
# namespaces fsdax_copy makes of them differ in size too. Prints the sizes
# in order. A raw namespace has no DAX: the guest copies it into an fsdax namespace of its own
# NVDIMM (guest/lib.sh fsdax_copy), whose size nvdimm_mib gives.
nvdimm_files() {
	local taken=" " f s
	for f in "$@"; do
		s=$(stat -c %s "$f")
		s=$(((s + (16 << 20) - 1) / (16 << 20) * (16 << 20)))
		while [[ $taken == *" $s "* ]]; do s=$((s + (16 << 20))); done
		taken+="$s "
		truncate -s "$s" "$f"
		echo "$s"
	done
}

# nvdimm_mib BYTES...: the size (MiB) of a labelled NVDIMM that holds an fsdax namespace for
# each of these sizes (fsdax_copy: 4 MiB more each, rounded up to 16 MiB), with room to spare;
# larger than any one of them, so never the size of a raw one.
nvdimm_mib() {
	local s t=32
	for s in "$@"; do t=$((t + (s >> 20) + 20)); done
	echo "$t"
}

# summarize FILE: the medians and ratios of the result lines in FILE, as text.
summarize() { python3 "$BENCH/summarize.py" --text "$1"; }
