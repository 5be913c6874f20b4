#!/bin/bash
# remove.sh TOPOLOGY: the device under daxfs mounts goes away (driver unbound): fsdax mounts are
# revoked, device-dax mounts keep their range reserved.
. "$(dirname "$0")/lib.sh"
TOPO=${1:-cxl}
make_image
"$RUN" -t "$TOPO" -f "$WORK/mem.raw" -n "remove-$TOPO" -i "$WORK/image" -i "$WORK/manifest" \
	"$G/remove.sh"
