#!/bin/bash
# badimage.sh TOPOLOGY: corrupted images are refused at mount with a message, never an oops;
# rw, out-of-range and unaligned offsets, and System RAM ranges are refused.
. "$(dirname "$0")/lib.sh"
TOPO=${1:-nvdimm}
B=$DAXPOOL_BUILD
make_image
cp "$WORK/image" "$WORK/good"
python3 "$HERE/corrupt.py" "$WORK/good" "$WORK/bad"
# Each variant must be rejected by the userspace validator too (same C code).
for f in "$WORK"/bad/*; do
	! "$B/cli/daxpool" fsck "$f" >/dev/null 2>&1 || fail "fsck accepted $(basename "$f")"
done
mkdir -p "$WORK/in"
"$RUN" -t "$TOPO" -f "$WORK/mem.raw" -n "badimage-$TOPO" -i "$WORK/bad" -i "$WORK/good" "$G/badimage.sh"
