#!/bin/bash
# A daxfs image in a dma-buf (system dma-heap), mounted through fsconfig(FSCONFIG_SET_FD).
. "$(dirname "$0")/lib.sh"
make_image
"$RUN" -t none -n dmabuf -i "$WORK/image" -i "$WORK/manifest" "$G/dmabuf.sh"
