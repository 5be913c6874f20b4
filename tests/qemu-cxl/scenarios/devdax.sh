#!/bin/bash
# devdax.sh TOPOLOGY: daxfs images in a device-dax instance, mounted by physical range.
. "$(dirname "$0")/lib.sh"
TOPO=${1:-cxl}
B=$DAXPOOL_BUILD
python3 "$HERE/mktree.py" "$WORK/tree"
"$B/cli/daxpool" build -q "$WORK/tree" -o "$WORK/image"
"$B/tests/qemu-cxl/fscheck" manifest "$WORK/tree" > "$WORK/manifest"
"$RUN" -t "$TOPO" -f "$WORK/mem.raw" -n "devdax-$TOPO" -i "$WORK/image" -i "$WORK/manifest" "$G/devdax.sh"
