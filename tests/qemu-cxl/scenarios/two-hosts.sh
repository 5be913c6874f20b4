#!/bin/bash
# two-hosts.sh TOPOLOGY: two guests booted at the same time on one backing file. A writes a
# 1 MiB block and a marker, B reads the block through its own devdax mmap and answers with its
# hash, A sees the answer; the host then finds both in the backing file.
. "$(dirname "$0")/lib.sh"
TOPO=${1:-cxl}
MEM=$WORK/mem.raw
head -c $((1 << 20)) /dev/urandom > "$WORK/block"
EXPECT=$("$DAXPOOL_BUILD/tests/qemu-cxl/daxio" fnv "$WORK/block" 0 $((1 << 20)))
N=$(nonce two-hosts)
say "provision a devdax namespace on $TOPO memory ($MEM)"
"$RUN" -t "$TOPO" -f "$MEM" -n "$TOPO-provision" "$G/provision.sh" devdax
say "hosts A and B at the same time"
run_pair -t "$TOPO" -f "$MEM" -n "$TOPO-host-a" -c 1 -i "$WORK/block" -e ROLE=A -e "NONCE=$N" -e "EXPECT=$EXPECT" "$G/share.sh" \
	-- -t "$TOPO" -f "$MEM" -n "$TOPO-host-b" -c 1 -e ROLE=B -e "NONCE=$N" -e "LEN=$((1 << 20))" "$G/share.sh"
say "the host sees both hosts' writes in the backing file"
grep -qa "A:$N" "$MEM" || fail "A's marker is not in $MEM"
grep -qa "B:$N:$EXPECT" "$MEM" || fail "B's answer is not in $MEM"
echo "A and B agreed on the 1 MiB block: fnv $EXPECT"
