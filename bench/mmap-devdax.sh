#!/bin/bash
# bench/mmap-devdax.sh [ROUNDS] [TOPOLOGY]: in one guest (QEMU TCG, Debian 6.12 unless
# DAXPOOL_GUEST_KERNEL=6.1), a 64 MiB file of a daxfs image on a device-dax instance (nvdimm by
# default, or cxl) is mapped and one byte of every page read: page faults and time with 2 MiB PMD
# mappings against the same file mapped 4 KiB off the 2 MiB grid (4 KiB pages only; mapcheck
# touch FILE skew). Reports medians over ROUNDS interleaved rounds and the ratio 4 KiB / PMD.
# Absolute times under TCG mean little; the ratios within one boot are what count.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${DAXPOOL_BUILD:-$TOP/build}
ROUNDS=${1:-5}
TOPO=${2:-nvdimm}
W=$(mktemp -d "${TMPDIR:-/tmp}/daxpool-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/tree" "$W/share"
head -c $((64 << 20)) /dev/urandom > "$W/tree/big"
"$B/cli/daxpool" build -q "$W/tree" -o "$W/share/img.daxfs"
"$TOP/tests/qemu-cxl/run" -t "$TOPO" -T 1200 -n bench-mmap -i "$W/share/img.daxfs" \
	-e "ROUNDS=$ROUNDS" "$TOP/bench/guest/mmap-devdax.sh" | tee "$W/out"
python3 - "$W/out" <<'PY'
import statistics, sys
rows = [dict(kv.split("=") for kv in l.split("RESULT ")[1].split()) for l in open(sys.argv[1]) if "RESULT " in l]
if not rows:
    sys.exit("no RESULT lines from the guest")
med = lambda m, k: statistics.median(float(r[k]) for r in rows if r["map"] == m)
print(f"{'mapping':8} {'faults':>8} {'ms':>8} {'ratio':>6}")
for m in ("pmd", "4k"):
    print(f"{m:8} {med(m,'faults'):8.0f} {med(m,'usec')/1000:8.1f} {med(m,'usec')/med('pmd','usec'):6.2f}")
PY
