#!/bin/bash
# two-host-skew.sh [TOPOLOGY]: two hosts at once on one CXL memory whose clocks disagree (as
# before NTP has synced at boot, or after a VM restore): A 30 s behind, B 30 s ahead (60 s apart,
# 15 leases of 3 s + 1 s margin), then an hour apart (A +3600 s, B on time). Both load, mount
# each other's images, unload, for many rounds (guest/two-host-skew.sh): every load is sealed and
# reads back intact, fsck stays clean, and no output ever calls a beating host expired or down or
# advises --force. Liveness must be judged by observed change of the heartbeat on the
# observer's own clock, never by comparing the hosts' clocks (docs/multihost.md).
# SKEW_A / SKEW_B (seconds of the two phases, default "-30 3600" / "30 0") and ROUNDS (of the two
# phases, default "10 4") change the run; SKEW_A="0 0" SKEW_B="0 0" is the control (clocks agree).
# STRICT_WORDS=1: also a conditional hint ("if that host is down for good, ... --force") is a
# finding (guest/two-host-skew.sh, check_words).
. "$(dirname "$0")/lib.sh"
TOPO=${1:-cxl}
SKEW_A=${SKEW_A:--30 3600} SKEW_B=${SKEW_B:-30 0} ROUNDS=${ROUNDS:-10 4} STRICT_WORDS=${STRICT_WORDS:-}
common=(-t "$TOPO" -s 1G -f "$WORK/mem.raw" -o "$WORK/sync" -T 420 -e SIZE=512M -e TIMEOUT=330
	-e "ROUNDS=$ROUNDS" -e "STRICT_WORDS=$STRICT_WORDS" -e DAXPOOL_LEASE_MS=3000 -e DAXPOOL_MARGIN_MS=1000)
mkdir -p "$WORK/sync"
"$RUN" "${common[@]}" -n "$TOPO-skew-a" -e ROLE=A -e "PEER=$TOPO-skew-b" -e "SKEW=$SKEW_A" "$G/two-host-skew.sh" & pa=$!
"$RUN" "${common[@]}" -n "$TOPO-skew-b" -e ROLE=B -e "PEER=$TOPO-skew-a" -e "SKEW=$SKEW_B" "$G/two-host-skew.sh" & pb=$!
trap 'rc=$?; kill $pa $pb 2>/dev/null || true; [ $rc = 0 ] && rm -rf "$WORK"' EXIT
# A guest that fails or never boots: its peer stops waiting for it (/out/X-failed, as when a
# guest fails by itself).
ra= rb=
while [ -z "$ra" ] || [ -z "$rb" ]; do
	if [ -z "$ra" ] && ! kill -0 $pa 2>/dev/null; then
		ra=0
		wait $pa || ra=$?
		[ $ra = 0 ] || : > "$WORK/sync/a-failed"
	fi
	if [ -z "$rb" ] && ! kill -0 $pb 2>/dev/null; then
		rb=0
		wait $pb || rb=$?
		[ $rb = 0 ] || : > "$WORK/sync/b-failed"
	fi
	sleep 0.5
done
[ "$ra" = 0 ] && [ "$rb" = 0 ] || fail "two-guest run failed (A status $ra, B status $rb)"
