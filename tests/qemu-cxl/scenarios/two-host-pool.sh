#!/bin/bash
# two-host-pool.sh [TOPOLOGY]: two hosts booted at the same time on one CXL (or NVDIMM) memory.
# A creates a pool and loads an image with daxpool; B attaches, finds the pool by the memory
# alone, mounts the image from the one copy in the shared memory and finds every file identical
# to the source tree; unload refused while B has it mounted; B loses power while mounted and A
# reclaims the image with --force once B's heartbeat stood still (guest/two-host-pool.sh).
. "$(dirname "$0")/lib.sh"
TOPO=${1:-cxl}
make_image
# Short leases so that B's expiry takes seconds (docs/multihost.md).
lease=(-e DAXPOOL_LEASE_MS=3000 -e DAXPOOL_MARGIN_MS=1000 -e TIMEOUT=150)
run_pair -t "$TOPO" -s 1G -f "$WORK/mem.raw" -n "$TOPO-pool-a" -i "$WORK/image" -i "$WORK/manifest" -e ROLE=A \
	-e SIZE=512M -e "PEER=$TOPO-pool-b" "${lease[@]}" "$G/two-host-pool.sh" \
	-- -t "$TOPO" -s 1G -f "$WORK/mem.raw" -n "$TOPO-pool-b" -i "$WORK/image" -i "$WORK/manifest" -e ROLE=B -e "PEER=$TOPO-pool-a" \
	"${lease[@]}" "$G/two-host-pool.sh"
say "writer role takeover: A loses power while loading"
python3 "$HERE/mktree.py" "$WORK/bigtree" --big 96
"$DAXPOOL_BUILD/cli/daxpool" build -q "$WORK/bigtree" -o "$WORK/big"
run_pair -t "$TOPO" -s 1G -f "$WORK/mem.raw" -n "$TOPO-pool-a2" -i "$WORK/big" -e ROLE=A2 \
	-e "PEER=$TOPO-pool-b2" "${lease[@]}" "$G/two-host-pool.sh" \
	-- -t "$TOPO" -s 1G -f "$WORK/mem.raw" -n "$TOPO-pool-b2" -i "$WORK/image" -e ROLE=B2 -e "PEER=$TOPO-pool-a2" \
	"${lease[@]}" "$G/two-host-pool.sh"
