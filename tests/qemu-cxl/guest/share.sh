# Scenario step: two hosts, one memory. Run at the same time as ROLE=A and ROLE=B on one backing
# file that already holds a devdax namespace. A stores a data block (/in/block) and a marker;
# B waits for the marker, hashes the block as it sees it, and answers with the hash; A waits for
# the answer carrying the hash the host computed (EXPECT).
attach
dev=$(ns_dev devdax)
[ -n "$dev" ] || fail "no devdax namespace visible"
wait_dev "$dev"
case $ROLE in
A)
	daxio copyin "$dev" 0x200000 /in/block
	daxio write "$dev" 0x1000 "A:$NONCE"
	say "A: wrote block and marker A:$NONCE, waiting for B"
	daxio wait "$dev" 0x2000 "B:$NONCE:$EXPECT" 120
	say "A: B answered $(daxio read "$dev" 0x2000 $((${#NONCE} + 19)))"
	;;
B)
	daxio wait "$dev" 0x1000 "A:$NONCE" 120
	h=$(daxio fnv "$dev" 0x200000 "$LEN")
	say "B: saw A:$NONCE, block hash $h"
	daxio write "$dev" 0x2000 "B:$NONCE:$h"
	;;
*) fail "ROLE must be A or B" ;;
esac
