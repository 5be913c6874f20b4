#!/bin/bash
# bench/read-vs-erofs.sh [ROUNDS]: daxfs against EROFS-DAX in one guest (QEMU TCG, nvdimm fsdax,
# Debian 6.12), like ../shared/reference/anchors.md: a copy of /usr/include + a 64 MiB random
# file + a directory of 100,000 empty files. Reports read-every-file time and page-cache growth,
# and µs per lstat of 20,000 random names in the big directory, as medians and as ratios to
# EROFS-DAX (mkfs.erofs -Enoinline_data, mounted -o dax=always). Absolute numbers under TCG mean
# little; the ratios within one boot are what count.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${DAXPOOL_BUILD:-$TOP/build}
ROUNDS=${1:-3}
W=$(mktemp -d "${TMPDIR:-/tmp}/daxpool-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/tree/bigdir" "$W/share"
cp -a /usr/include "$W/tree/usr-include"
head -c $((64 << 20)) /dev/urandom > "$W/tree/random64"
(cd "$W/tree/bigdir" && seq -f 'f%06g' 0 99999 | xargs touch)
seq -f 'f%06g' 0 99999 | shuf -n 20000 > "$W/share/names"
"$B/cli/daxpool" build -q "$W/tree" -o "$W/share/img.daxfs"
mkfs.erofs -Enoinline_data "$W/share/img.erofs" "$W/tree" >/dev/null
ls -l "$W/share"
"$TOP/tests/qemu-cxl/run" -t nvdimm -s 1G -m 2G -T 1800 -n bench-read -o "$W/share" \
	-e "ROUNDS=$ROUNDS" "$TOP/bench/guest/read-vs-erofs.sh" | tee "$W/out"
python3 - "$W/out" <<'PY'
import re, statistics, sys
rows = [dict(kv.split("=") for kv in l.split("RESULT ")[1].split()) for l in open(sys.argv[1]) if "RESULT " in l]
med = lambda fs, k: statistics.median(float(r[k]) for r in rows if r["fs"] == fs)
# seq64: MiB/s of one 64 MiB sequential read, and the speed as a ratio to EROFS-DAX's (>1: faster)
print(f"{'fs':8} {'read_s':>8} {'ratio':>6} {'cached_MiB':>10} {'stat_us':>8} {'ratio':>6} {'seq64_MiB/s':>11} {'speed':>6}")
for fs in ("erofs", "daxfs"):
    print(f"{fs:8} {med(fs,'read_s'):8.2f} {med(fs,'read_s')/med('erofs','read_s'):6.2f} "
          f"{med(fs,'cached_kib')/1024:10.1f} {med(fs,'stat_us'):8.1f} {med(fs,'stat_us')/med('erofs','stat_us'):6.2f} "
          f"{64/med(fs,'seq64_s'):11.0f} {med('erofs','seq64_s')/med(fs,'seq64_s'):6.2f}")
PY
