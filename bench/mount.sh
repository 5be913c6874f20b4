#!/bin/bash
# bench/mount.sh [ROUNDS]: P6, mount time against image size: a 16 MiB and a 1 GiB image, each as
# daxfs and as EROFS-DAX (mkfs.erofs -Enoinline_data, -o dax=always), in one guest (QEMU TCG,
# Debian 6.12), each image copied at boot into its own fsdax namespace. The 16 MiB tree: 510
# random files of 32 KiB in 10 directories; the 1 GiB tree: the same + 8 random files of 126 MiB
# (same entry count, 64x the bytes). ROUNDS (default 3) interleaved rounds of one mount(2) each,
# caches dropped before each. Result: seconds per mount; the report's ratio is 1 GiB / 16 MiB.
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-3}
need mkfs.erofs
python3 - "$WORK/t16" <<'PY'
import os, sys
for d in range(10):
    p = os.path.join(sys.argv[1], f"d{d}")
    os.makedirs(p)
    for f in range(51):
        with open(os.path.join(p, f"f{f:02d}"), "wb") as fh:
            fh.write(os.urandom(32 << 10))
PY
cp -a "$WORK/t16" "$WORK/t1g"
for i in 1 2 3 4 5 6 7 8; do random_file "$WORK/t1g/big$i" 126; done
for t in 16 1g; do
	"$DAXPOOL" build -q "$WORK/t$t" -o "$WORK/d$t.daxfs"
	mkfs.erofs -Enoinline_data "$WORK/e$t.erofs" "$WORK/t$t" >/dev/null
	result part=P6 case=daxfs-$t metric=image_mib round=1 value="$(mib "$(stat -c %s "$WORK/d$t.daxfs")")"
	result part=P6 case=erofs-$t metric=image_mib round=1 value="$(mib "$(stat -c %s "$WORK/e$t.erofs")")"
done | tee "$WORK/out"
rm -rf "$WORK/t16" "$WORK/t1g"
imgs=("$WORK/d16.daxfs" "$WORK/d1g.daxfs" "$WORK/e16.erofs" "$WORK/e1g.erofs")
S=($(nvdimm_files "${imgs[@]}"))
nv=()
for i in "${imgs[@]}"; do nv+=(--nvdimm "$i"); done
"$RUN" -t nvdimm -s "$(nvdimm_mib "${S[@]}")M" -m 1G -T 1800 -n bench-mount -i "$BENCH/guest/lib.sh" "${nv[@]}" \
	-e "ROUNDS=$ROUNDS" -e "SZ_D16=${S[0]}" -e "SZ_D1G=${S[1]}" -e "SZ_E16=${S[2]}" -e "SZ_E1G=${S[3]}" \
	"$BENCH/guest/mount.sh" | tee -a "$WORK/out"
summarize "$WORK/out"
