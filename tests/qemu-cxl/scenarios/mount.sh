#!/bin/bash
# mount.sh TOPOLOGY [OFFSET [BIG_MiB]]: build an image of a tree with every file type on the
# host, mount it with daxfs from fsdax memory in a guest (at OFFSET inside the device), and
# compare every file's content and metadata with the source. With BIG_MiB, the tree has a file
# that big and the guest proves that reading it does not use the page cache.
. "$(dirname "$0")/lib.sh"
TOPO=${1:-cxl}
OFFSET=${2:-0}
BIG=${3:-0}
make_image --big "$BIG"
"$RUN" -t "$TOPO" -f "$WORK/mem.raw" -n "mount-$TOPO" -m 2G -i "$WORK/image" -i "$WORK/manifest" \
	-e "OFFSET=$OFFSET" "$G/mount.sh"
