#!/bin/bash
# devdax.sh TOPOLOGY: daxfs images in a device-dax instance, mounted by physical range.
. "$(dirname "$0")/lib.sh"
TOPO=${1:-cxl}
make_image
# data_off: superblock bytes 104..111 (docs/format.md)
DATA_OFF=$(od -An -t u8 -j 104 -N 8 "$WORK/image" | tr -d ' ')
"$RUN" -t "$TOPO" -f "$WORK/mem.raw" -n "devdax-$TOPO" -i "$WORK/image" -i "$WORK/manifest" \
	-e "DATA_OFF=$DATA_OFF" "$G/devdax.sh"
