#!/bin/bash
# bench/lookup.sh [ROUNDS]: P4 (cold lstat of a random name in a 100,000-entry directory) taken
# apart, daxfs against EROFS-DAX in one guest (as read.sh's: QEMU TCG, Debian 6.12, 2 vCPUs,
# 2 GiB; each image a label-less NVDIMM copied into an fsdax namespace), and tmpfs. Caches are
# dropped before each pass of 20,000 lstat calls:
#   hit     names that exist, each its own empty file: P4 itself (what read.sh measures)
#   linked  the same names in a second 100,000-entry directory whose entries are hard links to
#           two files: the same lookup, but its inode is found in the inode cache (made by the
#           first of them, and cache-hot): a cold positive lookup that makes no inode
#   miss    names that do not exist (NAME.x, between the real ones): a negative lookup (no
#           inode, no stat to copy out)
# tmpfs keeps its dentries through drop_caches, so its hit and linked are warm (the RCU walk
# alone), and its miss is the VFS's own cold lookup with nothing searched. Prints result lines,
# then medians and ratios.
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-3}
need mkfs.erofs
mkdir -p "$WORK/tree" "$WORK/share"
tree_bigdir "$WORK/tree/bigdir" 100000
# Two link targets: an ext4 inode takes at most 65,000 links.
mkdir "$WORK/tree/links"
touch "$WORK/tree/t0" "$WORK/tree/t1"
(cd "$WORK/tree/links" && seq -f 'f%06g' 0 99999 | awk '{ print "../t" (NR % 2) " " $0 }' | xargs -n 2 ln)
seq -f 'f%06g' 0 99999 | shuf -n 20000 >"$WORK/share/names"
seq -f 'f%06g.x' 0 99999 | shuf -n 20000 >"$WORK/share/missing"
"$DAXPOOL" build -q "$WORK/tree" -o "$WORK/img.daxfs"
mkfs.erofs -Enoinline_data "$WORK/img.erofs" "$WORK/tree" >/dev/null
rm -rf "$WORK/tree"
S=($(nvdimm_files "$WORK/img.daxfs" "$WORK/img.erofs"))
"$RUN" -t nvdimm -s "$(nvdimm_mib "${S[@]}")M" -m 2G -T 3000 -n bench-lookup -o "$WORK/share" -i "$BENCH/guest/lib.sh" \
	--nvdimm "$WORK/img.daxfs" --nvdimm "$WORK/img.erofs" \
	-e "ROUNDS=$ROUNDS" -e "SZ_DAXFS=${S[0]}" -e "SZ_EROFS=${S[1]}" \
	"$BENCH/guest/lookup.sh" | tee "$WORK/out"
summarize "$WORK/out"
