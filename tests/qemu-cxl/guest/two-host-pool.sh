# Two hosts booted at the same time on one CXL memory, through daxpool alone (ROLE=A or B).
# 1. A creates the pool and loads an image; B attaches until the pool appears (its labels are
#    written by A while B runs), mounts the image from the shared memory, compares every file
#    with the source, runs a program from it.
#    A mounts it too: `daxpool status --json` shows it mounted by 2 hosts, saving one copy (the
#    image file's size), and by 1 once A unmounted it (docs/multihost.md, "Memory saved").
# 2. A's unload is refused while B has it mounted (the message names B); B unmounts; the unload
#    succeeds.
# 4. Both load an image at the same time: both end sealed in distinct extents; fsck clean.
# 3. B mounts a second image and loses power while mounted; A's unload is refused without
#    --force (the message says what --force would do, never that B is down), --force is refused
#    while B's heartbeat advances, and once B lost power --force watches its heartbeat stand
#    still for lease + margin and reclaims it, naming B.
# 5. (second boot, ROLE=A2/B2) A loses power while loading, holding the writer role; B's load
#    waits until A's ticket stood still for its lease + margin, takes the role over and seals
#    in another extent (A's stays quarantined); fsck clean.
# The two hosts signal each other through the pool only: A loads an image named "go" when B
# may unmount. Env: ROLE, SIZE (the pool), TIMEOUT (seconds either waits), DAXPOOL_LEASE_MS,
# DAXPOOL_MARGIN_MS (short leases for the test).
elapsed() { echo $(($(cut -d. -f1 /proc/uptime) - t0)); }
# wait_for WHAT CMD...: until CMD succeeds, at most TIMEOUT seconds.
wait_for() {
	what=$1
	shift
	until "$@"; do
		[ "$(elapsed)" -lt "$TIMEOUT" ] || fail "$ROLE: $what not within $TIMEOUT s"
		usleep 200000
	done
}
# host_field HOSTNAME FIELD: a field of that host in `daxpool status --json` ("mounts.#", "state").
host_field() {
	daxpool status --pool shared --json > /tmp/st.json
	i=0
	while h=$(jsonget "hosts.$i.hostname" /tmp/st.json); do
		[ "$h" = "$1" ] && { jsonget "hosts.$i.$2" /tmp/st.json; return; }
		i=$((i + 1))
	done
	[ "$2" != mounts.# ] || echo 0
}
# offset_of NAME: the offset of image NAME in /tmp/l.json
offset_of() {
	i=0
	while n=$(jsonget "images.$i.name" /tmp/l.json); do
		[ "$n" = "$1" ] && { jsonget "images.$i.offset" /tmp/l.json; return; }
		i=$((i + 1))
	done
}
image_sealed() {
	daxpool list --pool shared --json > /tmp/l.json 2>/dev/null || return 1
	i=0
	while n=$(jsonget "images.$i.name" /tmp/l.json); do
		[ "$n" = "$1" ] && return 0
		i=$((i + 1))
	done
	return 1
}
t0=$(cut -d. -f1 /proc/uptime)
unload_ok() { daxpool unload "$1" --pool shared > /tmp/u.out 2>&1; }
mounts_are() { [ "$(host_field "$PEER" mounts.#)" = "$1" ]; }
# refused_unload IMAGE TEXT: A's unload of IMAGE must fail with TEXT and name the peer.
refused_unload() {
	if daxpool unload "$1" --pool shared > /tmp/u.out 2>&1; then cat /tmp/u.out; fail "A: unload $1 succeeded"; fi
	grep -q -- "$2" /tmp/u.out || { cat /tmp/u.out; fail "A: unload $1: message lacks '$2'"; }
	grep -q -- "$PEER" /tmp/u.out || { cat /tmp/u.out; fail "A: unload $1: message does not name $PEER"; }
	echo "A: refused as expected: $(head -1 /tmp/u.out)"
}

writer_host() { daxpool status --pool shared --json > /tmp/w.json && jsonget writer.hostname /tmp/w.json; }
writer_is() { [ "$(writer_host 2>/dev/null)" = "$1" ]; }

case $ROLE in
A2)
	say "A: (5) load a big image, and lose power while holding the writer role"
	daxpool attach
	# Under TCG the whole copy takes about a second: the load stops itself (SIGSTOP) after its
	# fifth 2 MiB chunk, so the power cut finds it holding the role with the copy half done
	# whatever the timing (a stopped process is what a dead host looks like to B).
	DAXPOOL_FAULT=load.copy:5:STOP daxpool load /in/big --pool shared --name big -q &
	wait_for "the writer role" writer_is "$(hostname)"
	wait_for "the stopped load" sh -c "grep -q '^State:.*T' /proc/$!/status"
	daxpool status --pool shared | head -5
	power_cut
	;;
B2)
	say "B: (5) A holds the writer role and loses power; this host takes the role over"
	wait_for "attach" sh -c 'daxpool attach >/dev/null 2>&1 && daxpool list --pool shared >/dev/null 2>&1'
	daxpool agent --pool shared -q &
	wait_for "A's writer role" writer_is "$PEER"
	daxpool load /in/image --pool shared --name after-takeover
	daxpool list --pool shared --all
	daxpool list --pool shared --json > /tmp/l.json
	[ -n "$(offset_of after-takeover)" ] || fail "B: the load after the takeover is not sealed"
	# A's interrupted load stays quarantined (WRITING) in its own extent: A never showed it stopped.
	daxpool list --pool shared --all --json > /tmp/l.json
	i=0 big=
	while n=$(jsonget "images.$i.name" /tmp/l.json); do
		[ "$n" = big ] && big=$(jsonget "images.$i.state" /tmp/l.json)
		i=$((i + 1))
	done
	[ "$big" = writing ] || fail "B: A's interrupted load 'big' is '$big', not writing (quarantined)"
	daxpool fsck --pool shared
	;;
A)
	say "A: (1) create --size $SIZE, load"
	daxpool create --size "$SIZE" --name shared
	daxpool load /in/image --pool shared --name rootfs
	daxpool list --pool shared
	say "A: (2) wait until $PEER has rootfs mounted"
	wait_for "a mount record of $PEER" mounts_are 1
	say "A: (1b) mount rootfs here too: 2 hosts on one copy"
	mkdir -p /mnt/a
	daxpool mount rootfs /mnt/a --pool shared
	size=$(stat -c %s /in/image)
	daxpool status --pool shared --json > /tmp/sh.json
	daxpool status --pool shared | grep -e "image 'rootfs'" -e "memory saved"
	expect_eq "A: rootfs mounted_hosts" "$(img_field /tmp/sh.json rootfs mounted_hosts)" 2
	on=$(img_field /tmp/sh.json rootfs mounted_on)
	for h in "$(hostname)" "$PEER"; do
		echo "$on" | grep -q "\"$h\"" || fail "A: rootfs mounted_on is '$on', without $h"
	done
	expect_eq "A: rootfs size" "$(img_field /tmp/sh.json rootfs size)" "$size"
	expect_eq "A: rootfs private_copies_size" "$(img_field /tmp/sh.json rootfs private_copies_size)" $((2 * size))
	expect_eq "A: rootfs saved_size" "$(img_field /tmp/sh.json rootfs saved_size)" "$size"
	expect_eq "A: saved_size" "$(jsonget saved_size /tmp/sh.json)" "$size"
	daxpool umount /mnt/a
	daxpool status --pool shared --json > /tmp/sh.json
	expect_eq "A: rootfs mounted_hosts after umount" "$(img_field /tmp/sh.json rootfs mounted_hosts)" 1
	expect_eq "A: rootfs saved_size after umount" "$(img_field /tmp/sh.json rootfs saved_size)" 0
	refused_unload rootfs "is mounted on"
	daxpool load /in/image --pool shared --name go
	# Refused until B has unmounted (B mounts nothing else before this unload is done).
	wait_for "$PEER's umount, then the unload" unload_ok rootfs
	cat /tmp/u.out
	say "A: (4) A and $PEER load at the same time"
	daxpool load /in/image --pool shared --name from-a
	wait_for "$PEER's load" image_sealed from-b
	daxpool list --pool shared --json > /tmp/l.json
	oa=$(offset_of from-a) ob=$(offset_of from-b)
	[ -n "$oa" ] && [ -n "$ob" ] && [ "$oa" != "$ob" ] || fail "A: from-a at '$oa', from-b at '$ob'"
	echo "A: both sealed, at $oa and $ob"
	daxpool fsck --pool shared
	say "A: (3) $PEER mounts go and loses power"
	wait_for "a mount record of $PEER" mounts_are 1
	refused_unload go "is mounted on .*down for good.*--force"
	# While B beats, --force does not reclaim (B's heartbeat advances while A watches).
	if daxpool unload go --pool shared --force > /tmp/u.out 2>&1; then cat /tmp/u.out; fail "A: unload --force of a beating host's mount succeeded"; fi
	grep -q "advanced while this host watched" /tmp/u.out || { cat /tmp/u.out; fail "A: --force refusal does not say $PEER beats"; }
	echo "A: --force refused while $PEER beats: $(head -1 /tmp/u.out)"
	# Once B has lost power, --force watches its heartbeat stand still for lease + margin and
	# reclaims (tried again while B still beats: each such try is refused in about a beat).
	force_ok() { daxpool unload go --pool shared --force > /tmp/force.out 2>&1; }
	wait_for "$PEER's power cut, then unload --force" force_ok
	cat /tmp/force.out
	grep -q "reclaimed 'go' from host '$PEER'.*stood still for" /tmp/force.out ||
		fail "A: the forced unload does not name $PEER and how long its heartbeat stood still"
	daxpool fsck --pool shared
	;;
B)
	say "B: (1) attach until A's pool appears"
	until daxpool attach --json > /tmp/attach.json 2>/tmp/attach.err &&
		[ "$(jsonget 0.pool /tmp/attach.json 2>/dev/null)" = shared ]; do
		[ "$(elapsed)" -lt "$TIMEOUT" ] || { cat /tmp/attach.err; fail "B: no pool after $TIMEOUT s"; }
		sleep 1
	done
	say "B: attached $(jsonget 0.device /tmp/attach.json) after $(elapsed) s"
	daxpool agent --pool shared -q &
	wait_for "a sealed rootfs" image_sealed rootfs
	mkdir -p /mnt/shared /mnt/go
	daxpool mount rootfs /mnt/shared --pool shared
	grep /mnt/shared /proc/mounts
	expect_tree /mnt/shared
	expect_eq "B: chroot" "$(chroot /mnt/shared /bin/sh -c 'echo ran from the shared image')" "ran from the shared image"
	say "B: (2) unmount once A says go"
	wait_for "A's go" image_sealed go
	daxpool umount /mnt/shared
	not_sealed() { ! image_sealed "$1"; }
	wait_for "A's unload of rootfs" not_sealed rootfs
	say "B: (4) load at the same time as A"
	daxpool load /in/image --pool shared --name from-b
	say "B: (3) mount go, then lose power while it is mounted"
	daxpool mount go /mnt/go --pool shared
	expect_tree /mnt/go
	# A must see the record and try its unload (and unload --force) while this host is alive.
	sleep 10
	power_cut
	;;
*) fail "ROLE must be A or B" ;;
esac
