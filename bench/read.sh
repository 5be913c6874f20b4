#!/bin/bash
# bench/read.sh [ROUNDS]: P3 (read every file; read one 64 MiB file) and P4 (lstat of 20,000
# random names in a 100,000-entry directory): daxfs against EROFS-DAX (mkfs.erofs
# -Enoinline_data, -o dax=always), ext4-DAX (-o dax=always) and tmpfs, in one guest (QEMU TCG,
# Debian 6.12, 2 vCPUs, 2 GiB), ROUNDS (default 3) interleaved rounds. The tree: a copy of
# /usr/include + a 64 MiB random file + a directory of 100,000 empty files. Each image comes in
# as a label-less NVDIMM and is copied into an fsdax namespace of the guest's NVDIMM.
# tmpfs is the tree copied into the guest's RAM before the rounds: its dentries cannot be
# dropped, so its lookups are always warm. Prints result lines, then medians and ratios to
# EROFS-DAX. Absolute times under TCG mean little; ratios within one boot are what count.
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-3}
need mkfs.erofs mkfs.ext4
mkdir -p "$WORK/tree" "$WORK/share"
tree_usr_include "$WORK/tree/usr-include"
random_file "$WORK/tree/random64" 64
tree_bigdir "$WORK/tree/bigdir" 100000
seq -f 'f%06g' 0 99999 | shuf -n 20000 >"$WORK/share/names"
"$DAXPOOL" build -q "$WORK/tree" -o "$WORK/img.daxfs"
mkfs.erofs -Enoinline_data "$WORK/img.erofs" "$WORK/tree" >/dev/null
mkfs_ext4 "$WORK/tree" "$WORK/img.ext4"
rm -rf "$WORK/tree"
S=($(nvdimm_files "$WORK/img.daxfs" "$WORK/img.erofs" "$WORK/img.ext4"))
"$RUN" -t nvdimm -s "$(nvdimm_mib "${S[@]}")M" -m 2G -T 3000 -n bench-read -o "$WORK/share" -i "$BENCH/guest/lib.sh" \
	--nvdimm "$WORK/img.daxfs" --nvdimm "$WORK/img.erofs" --nvdimm "$WORK/img.ext4" \
	-e "ROUNDS=$ROUNDS" -e "SZ_DAXFS=${S[0]}" -e "SZ_EROFS=${S[1]}" -e "SZ_EXT4=${S[2]}" \
	"$BENCH/guest/read.sh" | tee "$WORK/out"
summarize "$WORK/out"
