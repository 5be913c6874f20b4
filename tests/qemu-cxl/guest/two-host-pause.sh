# Two hosts at once on one CXL memory; the harness pauses A's whole VM mid-load (ROLE=A or B;
# scenarios/two-host-pause.sh drives it). The guests and the harness signal each other through
# files in /out (one host folder shared with both guests): a guest creates a file when it reaches
# a point, and waits for the files the others create.
#   A: create the pool, load a-small; [b-ready] load /in/big (the harness stops this VM while
#      the load is in the writer role and resumes it after B is done); the load must fail
#      ("fenced" / "lost the writer role"): its status and output go to /out/a-load.rc and
#      /out/a-load.out; [check] fsck of the pool, clean.
#   B: attach, agent, mount a-small and compare; [a-stopped] load b-1 and b-2 (waiting until A's
#      writer role lapses, then taking it over), mount both and check their data, fsck clean,
#      keep the catalog's listing; [check] (A's load has ended) the mounted data, the listing
#      and fsck unchanged.
# Env: ROLE, PEER, SIZE, TIMEOUT (seconds since boot by which everything must be done),
# B1SUM, B2SUM (sha256 of /data in b-1, b-2), DAXPOOL_LEASE_MS, DAXPOOL_MARGIN_MS.
t0=$(cut -d. -f1 /proc/uptime)
elapsed() { echo $(($(cut -d. -f1 /proc/uptime) - t0)); }
wait_for() {
	what=$1
	shift
	until "$@"; do
		[ "$(elapsed)" -lt "$TIMEOUT" ] || fail "$ROLE: $what not within $TIMEOUT s (at $(elapsed) s)"
		usleep 200000
	done
}
signal() { : > "/out/$1"; }
has_signal() { [ -e "/out/$1" ]; }
image_sealed() {
	daxpool list --pool shared --json > /tmp/l.json 2>/dev/null || return 1
	i=0
	while n=$(jsonget "images.$i.name" /tmp/l.json); do
		[ "$n" = "$1" ] && return 0
		i=$((i + 1))
	done
	return 1
}
# data_is DIR SUM WHAT: DIR/data has sha256 SUM; a problem is appended to /tmp/problems.
data_is() {
	got=$(sha256sum "$1/data" 2>&1 | cut -d' ' -f1)
	[ "$got" = "$2" ] || echo "$3: $1/data has sha256 $got, want $2" >> /tmp/problems
}
# fsck_clean WHAT: fsck of the pool; a problem is appended to /tmp/problems.
fsck_clean() {
	if daxpool fsck --pool shared > /tmp/fsck.out 2>&1; then
		cat /tmp/fsck.out
	else
		cat /tmp/fsck.out
		echo "$1: daxpool fsck --pool shared is not clean: $(head -3 /tmp/fsck.out | tr '\n' ' ')" >> /tmp/problems
	fi
}
grep -q ' /out 9p ' /proc/mounts || fail "$ROLE: /out (the folder shared with the harness) is not mounted"
: > /tmp/problems

case $ROLE in
A)
	say "A: create, load a-small"
	daxpool create --size "$SIZE" --name shared
	daxpool load /in/image --pool shared --name a-small
	wait_for "B ready" has_signal b-ready
	say "A: load big (the harness pauses this VM during the load)"
	echo "$(uptime_s) $(date +%s)" > /out/a-clock-before
	signal a-loading
	rc=0
	daxpool load /in/big --pool shared --name big > /tmp/big.out 2>&1 || rc=$?
	echo "$(uptime_s) $(date +%s)" > /out/a-clock-after
	cat /tmp/big.out
	echo "A: the load of big ended with status $rc"
	cp /tmp/big.out /out/a-load.out
	echo $rc > /out/a-load.rc.tmp && mv /out/a-load.rc.tmp /out/a-load.rc
	[ $rc != 0 ] || echo "A: the load resumed after the pause succeeded; it must fail (fenced / lost the writer role)" >> /tmp/problems
	grep -qE 'fenced|lost the writer role' /tmp/big.out ||
		echo "A: the load's output says neither 'fenced' nor 'lost the writer role'" >> /tmp/problems
	wait_for "the harness's check" has_signal check
	say "A: fsck after the resumed load"
	fsck_clean "A: after the resumed load"
	signal a-final
	;;
B)
	until daxpool attach --json > /tmp/attach.json 2>/tmp/attach.err &&
		[ "$(jsonget 0.pool /tmp/attach.json 2>/dev/null)" = shared ]; do
		[ "$(elapsed)" -lt "$TIMEOUT" ] || { cat /tmp/attach.err; fail "B: no pool after $TIMEOUT s"; }
		sleep 1
	done
	say "B: attached $(jsonget 0.device /tmp/attach.json) after $(elapsed) s"
	daxpool agent --pool shared -q &
	wait_for "a-small sealed" image_sealed a-small
	mkdir -p /mnt/a /mnt/b1 /mnt/b2
	daxpool mount a-small /mnt/a --pool shared
	expect_tree /mnt/a
	daxpool umount /mnt/a
	signal b-ready
	wait_for "the harness's stop of A" has_signal a-stopped
	say "B: A is paused in the writer role: load b-1, b-2"
	s=$(elapsed)
	daxpool load /in/b-1 --pool shared --name b-1
	echo "B: b-1 loaded after $(($(elapsed) - s)) s (A's writer role had to lapse first)"
	daxpool load /in/b-2 --pool shared --name b-2
	daxpool mount b-1 /mnt/b1 --pool shared
	daxpool mount b-2 /mnt/b2 --pool shared
	data_is /mnt/b1 "$B1SUM" "B: b-1 before A resumed"
	data_is /mnt/b2 "$B2SUM" "B: b-2 before A resumed"
	fsck_clean "B: before A resumed"
	daxpool list --pool shared --all
	daxpool list --pool shared --all --json > /tmp/before.json
	[ ! -s /tmp/problems ] || { cat /tmp/problems; fail "B: the pool was not sound even before A resumed"; }
	signal b-done
	wait_for "the harness's check (A's load has ended)" has_signal check
	say "B: after A's resumed load ended"
	data_is /mnt/b1 "$B1SUM" "B: b-1 after A resumed"
	data_is /mnt/b2 "$B2SUM" "B: b-2 after A resumed"
	daxpool list --pool shared --all
	daxpool list --pool shared --all --json > /tmp/after.json
	cmp -s /tmp/before.json /tmp/after.json || {
		diff /tmp/before.json /tmp/after.json | head -40
		echo "B: the catalog changed after A resumed (list --all --json above)" >> /tmp/problems
	}
	fsck_clean "B: after A resumed"
	daxpool umount /mnt/b1 || echo "B: umount of b-1 failed" >> /tmp/problems
	daxpool umount /mnt/b2 || echo "B: umount of b-2 failed" >> /tmp/problems
	;;
*) fail "ROLE must be A or B" ;;
esac
if [ -s /tmp/problems ]; then
	cat /tmp/problems
	fail "$ROLE: $(wc -l < /tmp/problems) problem(s) (listed above)"
fi
say "$ROLE: passed"
