#!/bin/bash
# bench/mount-time.sh [MOUNTS]: daxfs mount time of a 1 GiB image against a 16 MiB one in one
# guest (QEMU TCG, nvdimm fsdax, Debian 6.12). The two trees differ only in one file's size
# (1 GiB - 1 MiB vs 15 MiB), so their metadata is the same size: a mount whose time follows the
# image's size (one cache-invalidation pass over it) shows a large ratio, a mount that
# invalidates only the metadata (kernel/inval.c) about 1. Each image is mounted and unmounted
# MOUNTS times (default 20), interleaved; prints ms per mount+umount of each and the ratio.
# DAXPOOL_BUILD selects the build whose daxfs.ko is measured (e.g. another worktree's, for a
# before/after comparison).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${DAXPOOL_BUILD:-$TOP/build}
MOUNTS=${1:-20}
W=$(mktemp -d "${TMPDIR:-/tmp}/daxpool-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
for t in small big; do
	mkdir -p "$W/$t/etc"
	seq 1 200 | while read -r i; do echo "file $i" > "$W/$t/etc/f$i"; done
done
head -c $((15 << 20)) /dev/urandom > "$W/small/data"
# zeros read from a sparse file: the builder copies them like any data
truncate -s $(((1 << 30) - (1 << 20))) "$W/big/data"
mkdir -p "$W/share"
"$B/cli/daxpool" build -q "$W/small" -o "$W/share/small.daxfs"
"$B/cli/daxpool" build -q "$W/big" -o "$W/share/big.daxfs"
ls -l "$W/share"
DAXPOOL_BUILD=$B "$TOP/tests/qemu-cxl/run" -t nvdimm -s 1280M -m 2G -T 1800 -n bench-mount \
	-o "$W/share" -e "MOUNTS=$MOUNTS" "$TOP/bench/guest/mount-time.sh" | tee "$W/out"
python3 - "$W/out" <<'PY'
import sys
r = {}
for l in open(sys.argv[1]):
    if "RESULT " in l:
        kv = dict(x.split("=") for x in l.split("RESULT ")[1].split())
        r.setdefault(kv["image"], []).append(float(kv["ms_per_mount"]))
m = {k: sum(v) / len(v) for k, v in r.items()}
print(f"16 MiB image: {m['small']:.1f} ms per mount+umount, 1 GiB image: {m['big']:.1f} ms, ratio {m['big'] / m['small']:.2f}")
PY
