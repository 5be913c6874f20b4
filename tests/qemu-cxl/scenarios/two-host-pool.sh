#!/bin/bash
# two-host-pool.sh [TOPOLOGY]: two hosts booted at the same time on one CXL (or NVDIMM) memory.
# A creates a pool and loads an image with daxpool; B attaches, finds the pool by the memory
# alone, mounts the image from the one copy in the shared memory and finds every file identical
# to the source tree.
. "$(dirname "$0")/lib.sh"
TOPO=${1:-cxl}
make_image
run_pair -t "$TOPO" -s 1G -f "$WORK/mem.raw" -n "$TOPO-pool-a" -i "$WORK/image" -e ROLE=A -e SIZE=512M \
	"$G/two-host-pool.sh" \
	-- -t "$TOPO" -s 1G -f "$WORK/mem.raw" -n "$TOPO-pool-b" -i "$WORK/manifest" -e ROLE=B -e TIMEOUT=120 \
	"$G/two-host-pool.sh"
