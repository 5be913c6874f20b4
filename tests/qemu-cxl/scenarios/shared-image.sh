#!/bin/bash
# shared-image.sh [TOPOLOGY]: the product in miniature. Two hosts boot at the same time on one
# CXL memory; host A stamps a daxfs image (built here on the host) into the shared memory; host
# B mounts it from there with daxfs (no copy) and finds every file identical to the source.
. "$(dirname "$0")/lib.sh"
TOPO=${1:-cxl}
MEM=$WORK/mem.raw
N=$(nonce shared-image)
say "build a daxfs image of a small tree with every file type"
make_image
"$DAXPOOL_BUILD/cli/daxpool" inspect "$WORK/image" | sed -n 1,8p
say "provision a devdax namespace on $TOPO memory shared by both hosts ($MEM)"
"$RUN" -t "$TOPO" -f "$MEM" -n "$TOPO-provision" "$G/provision.sh" devdax
say "host A stamps the image, host B mounts it from the shared memory"
run_pair -t "$TOPO" -f "$MEM" -n "$TOPO-host-a" -c 1 -i "$WORK/image" -e ROLE=A -e "NONCE=$N" "$G/share-image.sh" \
	-- -t "$TOPO" -f "$MEM" -n "$TOPO-host-b" -c 1 -i "$WORK/manifest" -e ROLE=B -e "NONCE=$N" "$G/share-image.sh"
grep -qa "MOUNTED:$N:" "$MEM" || fail "B's answer is not in the shared memory file"
say "one physical copy of the image, in the shared memory file, served to host B by daxfs"
