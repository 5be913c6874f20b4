# The demo's guest part (scenarios/demo.sh), in a systemd guest (run --systemd) on shared CXL
# memory; ROLE=A or B, two hosts at once, signalling each other through /out:
#   A: `daxpool create --size 4G` (a 2-way interleaved region over two memdevs, a devdax
#      namespace, a pool), `load /in/ctr.daxfs --region 0`, `mount`;
#   B: `attach` until A's pool is found in the shared memory, `mount` the same image (no copy);
#   both: N containers (guest/containers.sh: systemd-nspawn, overlayfs over the daxfs mount,
#      a tmpfs upper each) run /bin/sh from the image; page cache grown while they run; once
#      both hosts run theirs, `daxpool status`: the image mounted by 2 hosts, saved_size = its
#      size; each host's mount (/sys/fs/daxfs) names the same image uuid, digest and offset;
#   clean-up: containers stopped, umount on both; A's destroy refused while the pool holds the
#      image (A's agent beats on), then A unloads and destroys (pool, namespace, region) once B
#      unmounted: destroy stops A's agent unit first (inactive, not failed, not restarted, no
#      SIGBUS); B's agent unit (B's device stays) ends inactive, status 3, not restarted, and
#      a change event of B's device then clears its udev record (no ID_DAXPOOL_NAME, no
#      /dev/daxpool link, no daxpool unit in SYSTEMD_WANTS).
#      Each step's seconds go to /out/steps.
# Env: ROLE, PEER, N (containers per host), IMGSIZE, IMGUUID (from the host), TIMEOUT.
. /in/containers.sh
N=${N:-2}
TIMEOUT=${TIMEOUT:-300}
H=$(hostname)
errors=0
check() { # check WHAT CONDITION...: a failed check is counted, the demo goes on
	what=$1
	shift
	if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; errors=$((errors + 1)); fi
}
up() { cut -d' ' -f1 /proc/uptime; }
# step LABEL CMD...: run CMD (a daxpool command is shown; a function shows its own), record
# its seconds in /out/steps.
step() {
	_l=$1
	shift
	[ "$1" != daxpool ] || echo "# $*"
	_a=$(up)
	"$@" || fail "$_l: '$*' failed"
	_s=$(awk -v a="$_a" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }')
	echo "   ($_s s)"
	echo "$H|$_l|$_s" >>/out/steps
}
# wait_for WHAT CMD...: until CMD succeeds, at most TIMEOUT s.
wait_for() {
	_w=$1 _t=$(cut -d. -f1 /proc/uptime)
	shift
	until "$@"; do
		[ $(($(cut -d. -f1 /proc/uptime) - _t)) -lt "$TIMEOUT" ] || fail "$H: $_w not within $TIMEOUT s"
		sleep 0.5
	done
}
peer_says() { [ -e "/out/$PEER.$1" ]; }
pool_found() {
	daxpool attach -q >/dev/null 2>&1 && daxpool list --region 0 --json >/tmp/l.json 2>/dev/null &&
		[ -n "$(img_field /tmp/l.json ctr size)" ]
}
attach_b() {
	echo "# daxpool attach (until it finds A's pool), daxpool list --region 0"
	wait_for "A's pool with image ctr" pool_found && daxpool list --region 0; }
sysdir() { echo "/sys/fs/daxfs/$(awk '$5 == "/srv/ctr" { print $3 }' /proc/self/mountinfo)"; }
# What each container runs, all from the image: its /bin/sh (dash) prints its host name, the
# image's os-release and what its / is (the overlay over /srv/ctr), cat reads a file, then
# sleep keeps it running (one exec: a loop would execute sleep from CXL memory every second).
CMD='. /etc/os-release; read -r h </proc/sys/kernel/hostname
while read -r _ _ _ _ mp rest; do [ "$mp" = / ] && r=${rest#* - }; done </proc/self/mountinfo
echo "$h: $PRETTY_NAME; / is ${r%%,upperdir=*},..."
echo "$h: debian_version $(cat /etc/debian_version)"
: >/ready; exec sleep infinity'
start_ctrs() {
	echo "# $N x: systemd-nspawn --directory=ROOT /bin/sh -c CMD; ROOT: overlay lowerdir=/srv/ctr, upper on a tmpfs"
	ctr_start_n "$N" "$H-c" /srv/ctr "$CMD" && ctr_wait_file ready "$TIMEOUT" $(ctr_names "$H-c" "$N")
}

# The boot, as this host's systemd saw it (daxtest-run): multi-user reached at that uptime.
. /run/daxtest/boot
echo "$H|boot (multi-user, seconds of uptime)|$BOOT_UPTIME" >>/out/steps
case $ROLE in
A)
	say "$H: provision the pool on the shared CXL memory"
	step "A: create --size 4G" daxpool create --size 4G --name demo
	step "A: load --region 0" daxpool load /in/ctr.daxfs --region 0 --name ctr --no-progress
	rm /in/ctr.daxfs
	touch /out/loaded
	;;
B)
	say "$H: find A's pool in the shared memory (no copy)"
	wait_for "A's load" [ -e /out/loaded ]
	step "B: attach (find A's pool)" attach_b
	;;
*) fail "ROLE must be A or B" ;;
esac
mkdir -p /srv/ctr
step "$ROLE: mount" daxpool mount ctr /srv/ctr --region 0
d=$(sysdir)
echo "$H: /srv/ctr is image $(cat "$d/uuid") ($(cat "$d/digest")) at offset $(cat "$d/offset") of $(cat "$d/source") ($(cat "$d/kind"))"
check "$H: the mounted image's uuid is the built image's ($IMGUUID)" [ "$(cat "$d/uuid")" = "$IMGUUID" ]
echo "$(cat "$d/uuid") $(cat "$d/digest") $(cat "$d/offset")" >"/out/$H.where"

say "$H: $N containers over overlayfs on the daxfs mount"
sync
echo 3 >/proc/sys/vm/drop_caches
p0=$(ctr_pagecache)
step "$ROLE: start $N containers" start_ctrs
p1=$(ctr_pagecache)
for c in $(ctr_names "$H-c" "$N"); do sed "s/^/  [$c] /" "$CTR_DIR/$c/log"; done
for c in $(ctr_names "$H-c" "$N"); do
	check "$c ran the image's shell" grep -q "^$c: Debian GNU/Linux 12 (bookworm); / is overlay .*lowerdir=/srv/ctr" "$CTR_DIR/$c/log"
done
# What the containers executed from the image, mapped straight from the pool's memory.
ran=$(du -kcL /srv/ctr/usr/bin/dash /srv/ctr/usr/bin/cat /srv/ctr/usr/bin/sleep \
	/srv/ctr/usr/lib/x86_64-linux-gnu/libc.so.6 /srv/ctr/usr/lib64/ld-linux-x86-64.so.2 | tail -1 | cut -f1)
grow=$((p1 - p0))
echo "$H: page cache grew $grow KiB while $N containers run (they executed $ran KiB of programs and libraries from the image)"
check "$H: page cache grew less than 1/4 of what the containers executed ($grow < $((ran / 4)) KiB)" [ "$grow" -lt $((ran / 4)) ]
echo "$H|growth while $N containers run|$grow" >>/out/pagecache

say "$H: both hosts run from one copy"
touch "/out/$H.running"
wait_for "$PEER's containers" peer_says running
daxpool status --region 0
daxpool status --region 0 --json >/tmp/st.json
hosts=$(img_field /tmp/st.json ctr mounted_hosts) on=$(img_field /tmp/st.json ctr mounted_on)
check "$H: status: image ctr mounted_hosts = 2 ($hosts)" [ "$hosts" = 2 ]
for h in "$H" "$PEER"; do check "$H: status: ctr mounted_on names $h" sh -c "echo '$on' | grep -q '\"$h\"'"; done
check "$H: status: ctr size = $IMGSIZE" [ "$(img_field /tmp/st.json ctr size)" = "$IMGSIZE" ]
saved=$(jsonget saved_size /tmp/st.json)
check "$H: status: saved_size = one image ($saved = $IMGSIZE)" [ "$saved" = "$IMGSIZE" ]
echo "$H|$hosts|$saved" >>/out/status
check "$H: $PEER mounted the same image at the same offset ($(cat "/out/$H.where"))" \
	[ "$(cat "/out/$PEER.where" 2>/dev/null)" = "$(cat "/out/$H.where")" ]
touch "/out/$H.checked"
wait_for "$PEER's checks" peer_says checked

say "$H: clean up"
# The containers sleep: stopped at once (SIGTERM to the runtime, as `docker stop -t 0`).
CTR_STOP_WAIT=0
stop_all() {
	echo "# ctr_stop (SIGTERM to each nspawn, overlays and tmpfs unmounted), daxpool umount /srv/ctr"
	ctr_stop $(ctr_names "$H-c" "$N") && daxpool umount /srv/ctr; }
step "$ROLE: stop containers, umount" stop_all
touch "/out/$H.unmounted"
agent=$(systemctl list-units --all --plain --no-legend 'daxpool-agent@*' | awk '{ print $1 }' | head -1)
st() { systemctl show -P "$1" "$agent"; }
check "$H: an agent unit beats for the pool ($agent)" [ -n "$agent" ]
if [ "$ROLE" = A ]; then
	wait_for "$PEER's umount" peer_says unmounted
	# Destroy stops this host's agent only once it proceeds: refused (an image is left, no
	# --force), the agent beats on, the same process.
	pid=$(st MainPID)
	echo "# daxpool destroy --region 0 (refused: the pool holds ctr)"
	daxpool destroy --region 0 2>/tmp/refused && fail "$H: destroy with an image and no --force went through"
	cat /tmp/refused
	refused_one_line() { [ "$(wc -l </tmp/refused)" = 1 ] && grep -q "holds 1 image" /tmp/refused; }
	beats_on() { [ "$(st ActiveState)" = active ] && [ "$(st MainPID)" = "$pid" ]; }
	check "$H: destroy refused in one line: the pool holds an image" refused_one_line
	check "$H: $agent beats on after the refused destroy (active, pid $pid)" beats_on
	unload_destroy() {
		daxpool unload ctr --region 0 || return
		daxpool destroy --region 0 2>/tmp/destroy
		_rc=$?
		cat /tmp/destroy
		return $_rc
	}
	# The invocation that beats now: once the device is gone the unit is unloaded, and
	# `systemctl show` loads a fresh one (inactive, success, no restarts): how it ended is read
	# from this invocation's journal (its own lines and systemd's about it).
	inv=$(st InvocationID)
	check "$H: $agent has an invocation before the destroy ($inv)" [ -n "$inv" ]
	since=$(date +%s)
	step "A: unload, destroy" unload_destroy
	touch "/out/$H.destroyed"
	daxpool list
	journalctl --sync
	journalctl -b -o cat _SYSTEMD_INVOCATION_ID="$inv" + INVOCATION_ID="$inv" >/tmp/agent.inv
	journalctl -b -o cat -u "$agent" --since "@$since" >/tmp/agent.after
	echo "$H: $agent after destroy: $(st ActiveState)/$(st SubState) ($(st Result)), invocation '$(st InvocationID)'"
	sed "s/^/$agent [$inv]: /" /tmp/agent.inv | tail -8
	sed "s/^/$agent since the destroy: /" /tmp/agent.after
	# Destroy stops the agent (systemctl stop, once the pool is wiped) before the namespace and
	# region go: on SIGTERM it finds no superblock and ends with status 3 ("is gone"). Or it saw
	# the wipe at its own beat first and ended by itself (status 3, the same line), and destroy
	# had nothing to stop. Never a failure or a signal (SIGBUS of the vanished mapping).
	ended_no_pool() { grep -qE 'is gone \(no daxpool superblock|went away under the agent' /tmp/agent.inv; }
	ended_clean() { ended_no_pool || grep -q 'agent: stopped;' /tmp/agent.inv; }
	stopped_or_3() { grep -q "stopped $agent" /tmp/destroy || ended_no_pool; }
	no_new_invocation() { _c=$(st InvocationID); [ -z "$_c" ] || [ "$_c" = "$inv" ]; }
	check "$H: $agent's invocation ended (systemd: deactivated or stopped)" \
		grep -qE 'Deactivated successfully|Stopped ' /tmp/agent.inv
	check "$H: $agent ended with status 3 (the pool is gone) or a clean stop" ended_clean
	check "$H: destroy stopped $agent, or it ended by itself with status 3" stopped_or_3
	check "$H: $agent: no failure or signal (SIGBUS) in its invocation" \
		sh -c '! grep -qiE "fail|code=killed|code=dumped|signal|SIGBUS" /tmp/agent.inv'
	check "$H: $agent not started again after the destroy (journal)" sh -c '! grep -q "Started" /tmp/agent.after'
	check "$H: $agent not started again after the destroy (no newer invocation)" no_new_invocation
	check "$H: $agent not restarted during its invocation" sh -c '! grep -q "Scheduled restart" /tmp/agent.inv'
else
	# B's own region and namespace over the memory stay: its agent finds no superblock at its
	# next beat (every lease / 3) and ends with status 3, which daxpool-agent@.service counts as
	# a clean stop and does not restart (not failed, not activating every second).
	restarts=$([ -z "$agent" ] || st NRestarts)
	wait_for "$PEER's destroy" peer_says destroyed
	if [ -n "$agent" ]; then
		_t=$(cut -d. -f1 /proc/uptime)
		while [ "$(st ActiveState)" != inactive ] && [ $(($(cut -d. -f1 /proc/uptime) - _t)) -lt 30 ]; do sleep 0.5; done
		echo "$H: $agent after $PEER's destroy: $(st ActiveState)/$(st SubState) ($(st Result)), status $(st ExecMainStatus), $(st NRestarts) restart(s)"
		journalctl -b -o cat -u "$agent" | tail -4 | sed "s/^/$agent: /"
		check "$H: $agent inactive within 30 s of $PEER's destroy" [ "$(st ActiveState)" = inactive ]
		check "$H: $agent ended as a success" [ "$(st Result)" = success ]
		check "$H: $agent exited with status 3 (no pool)" [ "$(st ExecMainStatus)" = 3 ]
		check "$H: $agent not restarted since the destroy" [ "$(st NRestarts)" = "$restarts" ]
		check "$H: $agent said the pool is gone" sh -c "journalctl -b -o cat -u '$agent' | grep -q 'is gone (no daxpool superblock'"
		# The device stays and holds no pool now, but its udev record is still the one from
		# before the wipe (no event since). A change event probes it again: no pool
		# (ID_DAXPOOL_IGNORED=no-pool), so the rule clears what IMPORT{db} brought back: no
		# name, no /dev/daxpool link, no daxpool unit pulled in (else each later event of the
		# device would start the agent again, only to end with status 3).
		dev=${agent#daxpool-agent@}
		dev=${dev%.service}
		udevadm info --query=property "/dev/$dev" >/tmp/udev.before
		check "$H: before the change event, $dev's udev record still names the pool (ID_DAXPOOL_NAME=demo)" \
			grep -qx 'ID_DAXPOOL_NAME=demo' /tmp/udev.before
		echo "# udevadm trigger --action=change --settle /dev/$dev"
		udevadm trigger --action=change --settle "/dev/$dev"
		udevadm info "/dev/$dev" >/tmp/udev.after
		sed "s/^/$dev after the change event: /" /tmp/udev.after
		check "$H: $dev after the change event: ID_DAXPOOL_IGNORED=no-pool" grep -qx 'E: ID_DAXPOOL_IGNORED=no-pool' /tmp/udev.after
		check "$H: $dev after the change event: no ID_DAXPOOL_NAME" sh -c '! grep -q "^E: ID_DAXPOOL_NAME=." /tmp/udev.after'
		check "$H: $dev after the change event: no ID_DAXPOOL_UUID" sh -c '! grep -q "^E: ID_DAXPOOL_UUID=." /tmp/udev.after'
		check "$H: $dev after the change event: no /dev/daxpool link (udev)" sh -c '! grep -q "^S: daxpool/" /tmp/udev.after'
		check "$H: $dev after the change event: no /dev/daxpool/demo" sh -c '[ ! -e /dev/daxpool/demo ] && [ ! -L /dev/daxpool/demo ]'
		check "$H: $dev after the change event: no daxpool unit in SYSTEMD_WANTS" \
			sh -c '! grep -q "^E: SYSTEMD_WANTS=.*daxpool" /tmp/udev.after'
	fi
fi
[ "$errors" = 0 ] || fail "$H: $errors check(s) failed (FAIL lines above)"
echo "$H: demo ok"
