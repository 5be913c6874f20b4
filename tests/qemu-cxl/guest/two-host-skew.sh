# Two hosts whose clocks disagree (ROLE=A or B), at the same time on one CXL memory: A creates
# the pool, B attaches. Each host first steps its clock by the first of SKEW (seconds, e.g. A -30,
# B +30), then runs rounds; before round ROUNDS1 + 1 it steps to the second skew (e.g. A +3600,
# B 0: an hour apart). Round k on host X with peer P:
#   1. load x-k (built here: its own name and a pattern of it, a different image every round);
#      check it is sealed in `list --json`;
#   2. wait for p-k; mount it; check its content;
#   3. once P has x-k mounted: unload x-k must be refused, naming P (alive: no --force advice);
#   4. once P has tried the same: umount p-k; unload x-(k-1) (P unmounted it before loading p-k);
#   5. status; fsck of the pool.
# The pool says when p-k is sealed; the files /out/P-mounted-k and /out/P-tried-k (the harness
# shares one folder with both guests) say when P has mounted x-k and tried its unload.
# Findings, collected and listed at the end (the scenario fails if there is any): any output of
# any daxpool command (and of the agent) calling a host expired or down, or advising --force
# (both hosts beat throughout: the agent from the start, and every command); a loaded image
# missing from the catalog; a content mismatch; an unload that succeeded or did not name P
# while P had the image mounted; an fsck that is not clean. A failed load, mount or wait fails at
# once. Env: ROLE, PEER (its hostname), SIZE (the pool), SKEW ("S1 S2"), ROUNDS ("R1 R2"),
# TIMEOUT (seconds since boot by which everything must be done), STRICT_WORDS (see
# check_words), DAXPOOL_LEASE_MS, DAXPOOL_MARGIN_MS.
t0=$(cut -d. -f1 /proc/uptime)
elapsed() { echo $(($(cut -d. -f1 /proc/uptime) - t0)); }
me=$(echo "$ROLE" | tr AB ab)
peer=$(echo "$ROLE" | tr AB ba)
# fail: also tell the peer (/out/X-failed), which then stops waiting and fails too; list the
# findings so far and the last commands' output.
fail() {
	: > "/out/$me-failed" 2>/dev/null || true
	if [ -s /tmp/findings ]; then
		echo "--- $ROLE: the output of the last daxpool commands:"
		tail -n 60 /tmp/all.out
		echo "--- $ROLE: findings so far:"
		cat /tmp/findings
	fi
	echo "FAIL: $*"
	exit 1
}
wait_for() {
	what=$1
	shift
	until "$@"; do
		[ ! -e "/out/$peer-failed" ] || fail "$ROLE: $PEER failed (see its output) while this host waited for $what"
		[ "$(elapsed)" -lt "$TIMEOUT" ] || fail "$ROLE: $what not within $TIMEOUT s (at $(elapsed) s)"
		usleep 200000
	done
}
set -- $SKEW
skew1=$1 skew2=$2
set -- $ROUNDS
rounds1=$1 rounds2=$2
last=$((rounds1 + rounds2))

nfind=0
# finding TEXT: a broken promise; listed at the end, the first ones also at once.
finding() {
	nfind=$((nfind + 1))
	echo "$ROLE: $1" >> /tmp/findings
	[ $nfind -gt 12 ] || echo "FINDING: $ROLE: $1"
}
# check_words WHAT FILE: no output may call a (beating) host expired or down, or advise --force.
# A hint that holds whatever the host's state ("if that host is down for good, ... --force ...",
# after a refusal that names the host as holding the image, or in fsck's note on a load in
# progress) judges nobody and is cut off first, unless STRICT_WORDS=1.
check_words() {
	if [ -n "${STRICT_WORDS:-}" ]; then
		cp "$2" /tmp/judged
	else
		sed 's/[Ii]f that host is down for good, .*//' "$2" > /tmp/judged
	fi
	grep -iE 'expired|--force|(^|[^a-z])down([^a-z]|$)' /tmp/judged > /tmp/words || return 0
	while IFS= read -r l; do finding "'$1' said: $l"; done < /tmp/words
}
# dp ARGS...: daxpool ARGS, its output (stdout and stderr) in /tmp/dp.out, also appended to
# /tmp/all.out and checked by check_words. Returns daxpool's status.
dp() {
	rc=0
	daxpool "$@" > /tmp/dp.out 2>&1 || rc=$?
	{ echo "[$(elapsed) s, clock $(date +%T)] \$ daxpool $* (status $rc)"; cat /tmp/dp.out; } >> /tmp/all.out
	check_words "daxpool $1" /tmp/dp.out
	return $rc
}
# step_clock SECS: move this host's CLOCK_REALTIME by SECS (the boottime clock is unaffected).
step_clock() {
	date -s "@$(($(date +%s) + $1))" > /dev/null
	echo "$ROLE: clock stepped by $1 s, now $(date -u +%FT%TZ)"
}
# pattern NAME: the data file of image NAME (NAME repeated, 1 MiB + 4 KiB per round number).
pattern() { yes "$1" | head -c $((1048576 + ${1#*-} * 4096)); }
# make_image NAME: /tmp/img/NAME.img holding `id` (NAME) and `data` (pattern NAME).
make_image() {
	rm -rf /tmp/src && mkdir -p /tmp/src /tmp/img
	echo "$1" > /tmp/src/id
	pattern "$1" > /tmp/src/data
	daxpool build -q /tmp/src -o "/tmp/img/$1.img"
}
signal() { : > "/out/$1"; }
has_signal() { [ -e "/out/$1" ]; }
# in_catalog NAME: NAME is a sealed image in `daxpool list --json` (/tmp/l.json).
in_catalog() {
	daxpool list --pool shared --json > /tmp/l.json 2>/dev/null || return 1
	i=0
	while n=$(jsonget "images.$i.name" /tmp/l.json); do
		[ "$n" = "$1" ] && [ "$(jsonget "images.$i.state" /tmp/l.json)" = sealed ] && return 0
		i=$((i + 1))
	done
	return 1
}
# check_content DIR NAME: the image mounted at DIR is NAME's.
check_content() {
	got=$(cat "$1/id" 2>&1) || true
	[ "$got" = "$2" ] || { finding "$2 mounted: id reads '$got'"; return 0; }
	pattern "$2" | cmp -s - "$1/data" || finding "$2 mounted: data differs from the pattern of $2"
}

grep -q ' /out 9p ' /proc/mounts || fail "$ROLE: /out (the folder shared with the peer) is not mounted"
say "$ROLE: clock skew $skew1 s, then $skew2 s; rounds $rounds1 + $rounds2; lease ${DAXPOOL_LEASE_MS} ms, margin ${DAXPOOL_MARGIN_MS} ms"
step_clock "$skew1"
case $ROLE in
A)
	daxpool create --size "$SIZE" --name shared
	;;
B)
	until daxpool attach --json > /tmp/attach.json 2>/tmp/attach.err &&
		[ "$(jsonget 0.pool /tmp/attach.json 2>/dev/null)" = shared ]; do
		[ ! -e /out/a-failed ] || fail "B: A failed before B could attach"
		[ "$(elapsed)" -lt "$TIMEOUT" ] || { cat /tmp/attach.err; fail "B: no pool after $TIMEOUT s"; }
		sleep 1
	done
	say "B: attached $(jsonget 0.device /tmp/attach.json) after $(elapsed) s"
	;;
*) fail "ROLE must be A or B" ;;
esac
daxpool agent --pool shared -q > /tmp/agent.out 2>&1 &
agent=$!
mkdir -p /mnt/peer
k=1
while [ $k -le $last ]; do
	if [ $k = $((rounds1 + 1)) ]; then
		say "$ROLE: phase 2"
		step_clock $((skew2 - skew1))
	fi
	make_image "$me-$k"
	if ! dp load "/tmp/img/$me-$k.img" --pool shared --name "$me-$k" -q; then
		cat /tmp/dp.out
		daxpool list --pool shared --all || true
		daxpool fsck --pool shared || true
		fail "$ROLE: round $k: the load of $me-$k failed (status $rc)"
	fi
	in_catalog "$me-$k" || finding "round $k: $me-$k loaded (status 0) but not sealed in 'daxpool list --json'"
	wait_for "round $k: $peer-$k sealed" in_catalog "$peer-$k"
	dp mount "$peer-$k" /mnt/peer --pool shared || { cat /tmp/dp.out; fail "$ROLE: round $k: mount of $peer-$k failed"; }
	signal "$me-mounted-$k"
	check_content /mnt/peer "$peer-$k"
	wait_for "round $k: $PEER's mount of $me-$k" has_signal "$peer-mounted-$k"
	if dp unload "$me-$k" --pool shared; then
		finding "round $k: unload of $me-$k succeeded while $PEER had it mounted"
	else
		grep -q "$PEER" /tmp/dp.out || finding "round $k: the refused unload of $me-$k does not name $PEER: $(cat /tmp/dp.out)"
	fi
	signal "$me-tried-$k"
	wait_for "round $k: $PEER's unload attempt" has_signal "$peer-tried-$k"
	dp umount /mnt/peer || { cat /tmp/dp.out; fail "$ROLE: round $k: umount of $peer-$k failed"; }
	if [ $k -gt 1 ]; then
		dp unload "$me-$((k - 1))" --pool shared || finding "round $k: unload of $me-$((k - 1)) failed: $(head -1 /tmp/dp.out)"
	fi
	dp status --pool shared || finding "round $k: status failed: $(head -1 /tmp/dp.out)"
	dp fsck --pool shared || finding "round $k: fsck of the pool is not clean: $(grep -v '^ *note' /tmp/dp.out | head -3 | tr '\n' ' ')"
	echo "$ROLE: round $k done at $(elapsed) s (clock $(date +%T))"
	k=$((k + 1))
done
say "$ROLE: done; wait for $peer to finish"
make_image "$me-0"
dp load "/tmp/img/$me-0.img" --pool shared --name "$me-done" -q || { cat /tmp/dp.out; fail "$ROLE: the load of $me-done failed"; }
wait_for "$peer-done sealed" in_catalog "$peer-done"
# The peer may stop beating from here on: no more status.
dp unload "$me-$last" --pool shared || finding "unload of $me-$last failed: $(head -1 /tmp/dp.out)"
dp fsck --pool shared || finding "final fsck of the pool is not clean: $(grep -v '^ *note' /tmp/dp.out | head -3 | tr '\n' ' ')"
cat /tmp/dp.out
kill "$agent"
wait "$agent" || true
check_words "daxpool agent" /tmp/agent.out
[ ! -s /tmp/findings ] || fail "$ROLE: $nfind finding(s) under clock skew $skew1 s / $skew2 s (listed above)"
say "$ROLE: $last rounds under clock skew, no finding"
