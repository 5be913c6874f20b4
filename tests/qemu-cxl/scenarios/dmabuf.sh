#!/bin/bash
# A daxfs image in a dma-buf (system dma-heap), mounted through fsconfig(FSCONFIG_SET_FD).
. "$(dirname "$0")/lib.sh"
B=$DAXPOOL_BUILD
python3 "$HERE/mktree.py" "$WORK/tree"
"$B/cli/daxpool" build -q "$WORK/tree" -o "$WORK/image"
"$B/tests/qemu-cxl/fscheck" manifest "$WORK/tree" > "$WORK/manifest"
"$RUN" -t none -n dmabuf -i "$WORK/image" -i "$WORK/manifest" "$G/dmabuf.sh"
