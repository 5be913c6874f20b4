#!/bin/bash
# bench/build-vs-erofs.sh [ROUNDS]: image build time of `daxpool build` against
# `mkfs.erofs -Enoinline_data` (erofs-utils 1.5's DAX-ready spelling; -E^inline_data is silently
# ignored by 1.5) on the same trees, run interleaved, median of ROUNDS (default 5).
# Trees: a copy of /usr/include, and 40,000 small files (200 directories x 200).
# Prints one line per tree: times, image sizes, and the ratio erofs / daxpool (> 1: daxpool faster).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
DAXPOOL=${DAXPOOL:-$TOP/build/cli/daxpool}
ROUNDS=${1:-5}
W=$(mktemp -d "${TMPDIR:-/tmp}/daxpool-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
command -v mkfs.erofs >/dev/null || { echo "mkfs.erofs missing (apt-get install erofs-utils)" >&2; exit 1; }
[ -x "$DAXPOOL" ] || { echo "$DAXPOOL missing (meson compile -C build)" >&2; exit 1; }

cp -a /usr/include "$W/usr-include"
mkdir -p "$W/small"
python3 - "$W/small" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(200):
    p = os.path.join(root, f"d{d:03d}")
    os.mkdir(p)
    for f in range(200):
        with open(os.path.join(p, f"f{f:03d}"), "wb") as fh:
            fh.write(os.urandom(64 + (d * 200 + f) % 3000))
PY
sync

now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

printf '%-12s %10s %10s %12s %12s %8s\n' tree daxpool_s erofs_s daxpool_MiB erofs_MiB ratio
for tree in usr-include small; do
	: >"$W/t.dax"; : >"$W/t.erofs"
	for _ in $(seq "$ROUNDS"); do
		rm -f "$W/img.dax" "$W/img.erofs"
		sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
		t0=$(now); "$DAXPOOL" build -q "$W/$tree" -o "$W/img.dax"; t1=$(now)
		echo "$t1 - $t0" | bc >>"$W/t.dax"
		sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
		t0=$(now); mkfs.erofs -Enoinline_data "$W/img.erofs" "$W/$tree" >/dev/null 2>&1; t1=$(now)
		echo "$t1 - $t0" | bc >>"$W/t.erofs"
	done
	d=$(median <"$W/t.dax"); e=$(median <"$W/t.erofs")
	printf '%-12s %10.3f %10.3f %12.1f %12.1f %8.2f\n' "$tree" "$d" "$e" \
		"$(echo "$(stat -c %s "$W/img.dax") / 1048576" | bc -l)" \
		"$(echo "$(stat -c %s "$W/img.erofs") / 1048576" | bc -l)" "$(echo "$e / $d" | bc -l)"
done
