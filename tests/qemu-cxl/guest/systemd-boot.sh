# Scenario (scenarios/systemd-boot.sh), in the systemd guest (run --systemd): daxpool installed
# as an operator installs it, booted by Debian's systemd and udev.
# PHASE=setup (boot 1): create pool 'shared', load /in/image as 'auto' marked for automount at
#   /srv/x and as 'tab' (the image boot 2's fstab names).
# PHASE=boot (boot 2; PEER set when another host boots at the same time on the same memory):
#   no daxpool command but read-only ones; what the boot did is checked: the attach unit, the
#   udev properties and link, the agent, the automount unit and its mount, the fstab mount, this
#   host beating with both mount records (and the peer with its own); then stopping the
#   automount unit and unmounting the fstab mount each remove their records. VERIFY=1: also
#   the unload of the fstab image once both hosts unmounted it, `systemd-analyze verify` of
#   every installed daxpool unit, and the device going away (the units stop, /srv/x unmounted).
#   IGNORED=N: the host also has N label-less NVDIMMs (raw pmem namespaces, /dev/pmemN), each
#   blank or holding a pool whose superblocks are both damaged (its magic kept): each ignored
#   by the udev probe with exactly one journal line, even after one more "change" event
#   (ID_DAXPOOL_IGNORED no-pool/damaged-pool),
#   no link and no daxpool unit for it; and no job of the boot timed out.
#   With /out: this boot's times (multi-user.target, the automount's /srv/x) in /out/NAME.times,
#   which the host compares across hosts.
# Checks that fail are counted and the scenario goes on (the parts that work are still shown);
# it exits 2 if any failed. A failed precondition of later checks stops it at once (fail, 1).
NBAD=0
bad() { echo "FAIL: $*"; NBAD=$((NBAD + 1)); }
ok() { echo "ok: $*"; }
me=$(hostname)
# Hosts are told apart in `daxpool status` by their boot id: until this boot has claimed the
# machine's slot, the slot still shows boot 1's (with its host name, sd-a1 for sd-a2).
myboot=$(tr -d - < /proc/sys/kernel/random/boot_id)
uptime_int() { cut -d. -f1 /proc/uptime; }
# wait_until SECS CMD...: until CMD succeeds, at most SECS seconds; false on timeout.
wait_until() {
	end=$(($(uptime_int) + $1))
	shift
	until "$@"; do
		[ "$(uptime_int)" -lt "$end" ] || return 1
		sleep 0.2
	done
}
# unit_state UNIT: ActiveState/SubState (Result), e.g. "active/running (success)".
unit_state() { echo "$(systemctl show -P ActiveState "$1")/$(systemctl show -P SubState "$1") ($(systemctl show -P Result "$1"))"; }
# active_at UNIT: seconds of uptime when UNIT became active.
active_at() {
	t=$(systemctl show -P ActiveEnterTimestampMonotonic "$1")
	echo "$((t / 1000000)).$(printf '%06d' $((t % 1000000)) | cut -c1-2)"
}
# expect_unit_active UNIT: a check, and when it became active.
expect_unit_active() {
	if [ "$(systemctl show -P ActiveState "$1")" = active ]; then
		ok "$1 is active (since $(active_at "$1") s of uptime)"
	else
		bad "$1 is $(unit_state "$1"), want active (LoadState $(systemctl show -P LoadState "$1"))"
	fi
}
# status_json [--watch 0]: `daxpool status --pool shared --json` into /tmp/st.json.
status_json() { daxpool status --pool shared --json "$@" > /tmp/st.json; }
# host_index BOOT_ID: the index in /tmp/st.json's hosts of the host in that boot, or "".
host_index() {
	i=0 found=
	while b=$(jsonget "hosts.$i.boot_id" /tmp/st.json 2>/dev/null); do
		[ "$b" = "$1" ] && found=$i
		i=$((i + 1))
	done
	echo "$found"
}
# records BOOT_ID: the mountpoints recorded for that host in /tmp/st.json, sorted, space-separated.
records() {
	i=$(host_index "$1")
	[ -n "$i" ] || return 0
	n=$(jsonget "hosts.$i.mounts.#" /tmp/st.json)
	k=0
	while [ "$k" -lt "$n" ]; do
		jsonget "hosts.$i.mounts.$k.mountpoint" /tmp/st.json
		k=$((k + 1))
	done | sort | tr '\n' ' ' | sed 's/ $//'
}
# host_field BOOT_ID KEY: a key of that host in /tmp/st.json.
host_field() {
	i=$(host_index "$1")
	[ -n "$i" ] && jsonget "hosts.$i.$2" /tmp/st.json
}
# image_field NAME KEY: a key of image NAME in /tmp/list.json (`daxpool list --pool shared --json`).
image_field() {
	i=0
	while n=$(jsonget "images.$i.name" /tmp/list.json 2>/dev/null); do
		[ "$n" = "$1" ] && { jsonget "images.$i.$2" /tmp/list.json; return; }
		i=$((i + 1))
	done
	return 1
}
# expect_daxfs DIR: DIR is a daxfs mount and every file equals the source's.
expect_daxfs() {
	if ! findmnt -n -t daxfs "$1" > /tmp/fm; then
		bad "$1 is not a daxfs mount ($(findmnt -n "$1" || echo 'nothing mounted there'))"
		return
	fi
	ok "$1 mounted: $(cat /tmp/fm)"
	if (expect_tree "$1") > /tmp/tree.out 2>&1; then
		ok "$1: $(tail -1 /tmp/tree.out)"
	else
		cat /tmp/tree.out
		bad "$1: the files differ from the source"
	fi
}

. /run/daxtest/boot
if [ "$BOOT_STATE" = running ]; then
	ok "boot finished at $BOOT_UPTIME s of uptime, state running"
else
	bad "boot ended in state '$BOOT_STATE' at $BOOT_UPTIME s, want running (failed units: $(systemctl --failed --no-legend --plain | cut -d' ' -f1 | tr '\n' ' '))"
fi
expect_unit_active systemd-udevd.service
expect_unit_active daxpool-attach.service

case $PHASE in
setup)
	say "boot 1: daxpool create --size 512M --name shared"
	daxpool create --size 512M --name shared --mode devdax --json > /tmp/create.json || fail "create"
	# create ends with a change uevent: udev probes the device again and finds the pool.
	if wait_until 20 test -L /dev/daxpool/shared; then
		ok "udev linked /dev/daxpool/shared -> $(readlink -f /dev/daxpool/shared) after create"
	else
		bad "no /dev/daxpool/shared within 20 s of create"
	fi
	say "load /in/image as 'auto', marked for automount at /srv/x"
	if daxpool load /in/image --pool shared --name auto --automount /srv/x --no-progress > /tmp/load.out 2>&1; then
		cat /tmp/load.out
		ok "load --automount /srv/x"
		daxpool list --pool shared --json > /tmp/list.json
		a=$(image_field auto automount || true)
		[ "$a" = /srv/x ] && ok "list --json: auto has automount /srv/x" ||
			bad "list --json: image 'auto' has automount '$a', want '/srv/x'"
	else
		cat /tmp/load.out
		bad "daxpool load --automount /srv/x refused (is the automount feature there?); loading 'auto' without it so that the rest can be tested"
		daxpool load /in/image --pool shared --name auto --no-progress || fail "load auto"
	fi
	say "load /in/image as 'tab' (boot 2's fstab mounts it at /mnt/x)"
	daxpool load /in/image --pool shared --name tab --no-progress || fail "load tab"
	;;
boot)
	if [ -n "${PEER:-}" ]; then
		echo "$myboot" > "/out/$me.boot.tmp" && mv "/out/$me.boot.tmp" "/out/$me.boot"
		# However this host ends, the other one stops waiting for it.
		trap 'touch "/out/$me.ready" "/out/$me.looked"' EXIT
	fi
	# When the boot reached multi-user.target and mounted /srv/x (seconds of uptime), for the
	# host to compare with a host booted without the ignored devices.
	at_or_none() { [ "$(systemctl show -P ActiveEnterTimestampMonotonic "$1")" = 0 ] || active_at "$1"; }
	times="multi_user=$(at_or_none multi-user.target) srv_x=$(at_or_none srv-x.mount) boot_finished=$BOOT_UPTIME"
	echo "boot times: $times; $(systemd-analyze time 2>&1 | head -1)"
	[ ! -d /out ] || { echo "$times" > "/out/$me.times.tmp" && mv "/out/$me.times.tmp" "/out/$me.times"; }

	if [ -n "${IGNORED:-}" ]; then
		say "devices without a pool or with a damaged one ($IGNORED): ignored"
		n=0 kinds=
		for b in /sys/class/block/pmem*; do
			[ -e "$b" ] || continue
			n=$((n + 1))
			k=$(basename "$b") d=/dev/$(basename "$b")
			# What it holds, read here: the damaged pool kept its magic; the blank one is zeros.
			if [ "$(head -c 8 "$d")" = DAXPOOL1 ]; then want=damaged-pool; else want=no-pool; fi
			kinds="$kinds $want"
			udevadm info --query=property --name="$d" > /tmp/ig.props
			ig=$(sed -n 's/^ID_DAXPOOL_IGNORED=//p' /tmp/ig.props)
			[ "$ig" = "$want" ] && ok "udev: $d ID_DAXPOOL_IGNORED=$ig" ||
				bad "udev: $d ID_DAXPOOL_IGNORED='$ig', want '$want'"
			pn=$(sed -n 's/^ID_DAXPOOL_NAME=//p' /tmp/ig.props)
			[ -z "$pn" ] || bad "udev: $d ID_DAXPOOL_NAME='$pn', want none"
			case "$(sed -n 's/^DEVLINKS=//p' /tmp/ig.props)" in
			*/dev/daxpool/*) bad "udev: $d has a link under /dev/daxpool: $(sed -n 's/^DEVLINKS=//p' /tmp/ig.props)" ;;
			*) ok "udev: no /dev/daxpool link for $d" ;;
			esac
			case "$(sed -n 's/^SYSTEMD_WANTS=//p' /tmp/ig.props)" in
			*daxpool*) bad "udev: $d SYSTEMD_WANTS='$(sed -n 's/^SYSTEMD_WANTS=//p' /tmp/ig.props)'" ;;
			esac
			systemctl list-units --all --no-legend --plain "daxpool-*@$k.service" > /tmp/ig.units
			[ -s /tmp/ig.units ] && bad "units for $d: $(cat /tmp/ig.units)" || ok "no daxpool unit for $d"
			# One more probe of it (a "change" event, as `udevadm trigger` makes): still one line.
			udevadm trigger --action=change --settle "$d" || bad "udevadm trigger --action=change $d"
			# Every line of this boot's journal that names the device (the probe's: "DEV: ...").
			journalctl -b -o cat | grep -F "$d: " > /tmp/ig.journal || true
			sed "s|^|journal: |" /tmp/ig.journal
			if [ "$(wc -l < /tmp/ig.journal)" = 1 ] && grep -q "^daxpool probe: $d: .*ignored" /tmp/ig.journal; then
				ok "journal: one line for $d"
			else
				bad "journal: $(wc -l < /tmp/ig.journal) lines naming $d, want one from daxpool probe saying it is ignored"
				journalctl -b -o verbose -t daxpool --output-fields=MESSAGE,UDEV_ACTION,UDEV_SEQNUM,_PID |
					grep -F -A5 "$d" | sed 's/^/journal (verbose): /'
			fi
		done
		[ "$n" = "$IGNORED" ] || bad "$n pmem devices, want $IGNORED"
		# Where the boot spent its time (for the comparison the host prints).
		systemd-analyze blame 2>&1 | head -6 | sed 's/^/blame: /'
		journalctl -b -o short-monotonic -u daxpool-attach.service | head -3 | sed 's/^/journal: /'
		case "$kinds" in
		*no-pool*damaged-pool* | *damaged-pool*no-pool*) ;;
		*) bad "the devices held:$kinds; want a blank one and a damaged pool" ;;
		esac
		ls /dev/daxpool > /tmp/links 2>&1 || true
		[ "$(cat /tmp/links)" = shared ] && ok "/dev/daxpool holds only 'shared'" || bad "/dev/daxpool: $(cat /tmp/links | tr '\n' ' ')"
		journalctl -b -o cat | grep -i 'timed out' > /tmp/tmo || true
		if [ -s /tmp/tmo ]; then
			sed 's/^/journal: /' /tmp/tmo
			bad "the journal of this boot has timeouts"
		else
			ok "no job of this boot timed out"
		fi
	fi

	say "the pool's device, as udev named it"
	if [ -L /dev/daxpool/shared ]; then
		dev=$(readlink -f /dev/daxpool/shared)
		ok "/dev/daxpool/shared -> $dev"
	else
		ls -la /dev/daxpool 2>&1 || true
		bad "no link /dev/daxpool/shared"
		daxpool list --json > /tmp/topo.json
		i=0 dev=
		while d=$(jsonget "devices.$i.device" /tmp/topo.json 2>/dev/null); do
			[ "$(jsonget "devices.$i.pool" /tmp/topo.json 2>/dev/null)" = shared ] && dev=$d
			i=$((i + 1))
		done
		[ -n "$dev" ] || fail "no device holds pool 'shared' (attach: $(unit_state daxpool-attach.service))"
	fi
	daxpool list --pool shared --json > /tmp/list.json || fail "list --pool shared"
	uuid=$(jsonget uuid /tmp/list.json)
	udevadm info --query=property --name="$dev" > /tmp/udev.props
	sed 's/^/udev: /' /tmp/udev.props | grep -E 'DEVNAME|DEVLINKS|ID_DAXPOOL|SYSTEMD|TAGS'
	prop() { sed -n "s/^$1=//p" /tmp/udev.props; }
	expect_prop() {
		[ "$(prop "$1")" = "$2" ] && ok "udev: $1=$2" || bad "udev: $1='$(prop "$1")', want '$2'"
	}
	expect_prop ID_DAXPOOL_NAME shared
	expect_prop ID_DAXPOOL_UUID "$uuid"
	# The units are instanced by the device's kernel name (daxX.Y, pmemN: no escaping, which
	# SYSTEMD_WANTS mangles before systemd v258).
	k=${dev#/dev/}
	agent=daxpool-agent@$k.service automount=daxpool-automount@$k.service
	for w in $agent $automount; do
		case " $(prop SYSTEMD_WANTS) " in
		*" $w "*) ok "udev: SYSTEMD_WANTS has $w" ;;
		*) bad "udev: SYSTEMD_WANTS='$(prop SYSTEMD_WANTS)' lacks $w" ;;
		esac
	done
	case " $(prop DEVLINKS) " in
	*" /dev/daxpool/shared "*) ok "udev: DEVLINKS has /dev/daxpool/shared" ;;
	*) bad "udev: DEVLINKS='$(prop DEVLINKS)' lacks /dev/daxpool/shared" ;;
	esac
	expect_unit_active dev-daxpool-shared.device

	say "units the device pulled in"
	# Restart=always: an agent that keeps failing shows as activating; give it a few beats.
	agent_active() { [ "$(systemctl show -P ActiveState "$agent")" = active ]; }
	wait_until 10 agent_active || true
	expect_unit_active "$agent"
	expect_unit_active "$automount"
	# Not once stopped by a failure: attach's trial region (made to read the labels, then
	# re-made at the recorded size) brings the device up and takes it away again, and an
	# agent started on it meanwhile failed ("cannot open pool"); it waits for attach now.
	if journalctl -b -o cat -u "$agent" | grep -q "Failed with result"; then
		journalctl -b -o short-monotonic -u "$agent" -u daxpool-attach.service | head -30 | sed 's/^/journal: /'
		bad "$agent failed during this boot"
	else
		ok "$agent did not fail during the boot"
	fi

	say "the image marked for automount: /srv/x"
	a=$(image_field auto automount || true)
	[ "$a" = /srv/x ] && ok "list --json: auto has automount /srv/x" ||
		bad "list --json: image 'auto' has automount '$a', want '/srv/x'"
	expect_daxfs /srv/x
	say "the fstab line (shared/tab /mnt/x daxfs ro,nofail): /mnt/x"
	expect_unit_active mnt-x.mount
	if [ "$(systemctl show -P ActiveState mnt-x.mount)" != active ]; then
		journalctl -b -o cat -u mnt-x.mount | sed 's/^/mnt-x.mount: /'
		if journalctl -b -o cat -u mnt-x.mount | grep -q 'cannot run modprobe'; then
			bad "mount.daxfs could not run modprobe: mount(8) runs its helpers without PATH (glibc then searches /bin:/usr/bin), and modprobe is /usr/sbin/modprobe (/sbin on a merged-/usr system); daxfs was not loaded yet"
		fi
	fi
	expect_daxfs /mnt/x

	say "daxpool status: this host beating, its mount records"
	# The agent claims this machine's slot of boot 1 once that slot stood still for its lease +
	# margin (docs/multihost.md), so this host may beat only a while after the boot finished.
	me_beating() { status_json && [ "$(host_field "$myboot" state)" = beating ]; }
	t=$(uptime_int)
	if wait_until 90 me_beating; then
		ok "status: $me is beating (slot $(host_field "$myboot" slot); waited $(($(uptime_int) - t)) s from $t s of uptime)"
	else
		cat /tmp/st.json
		bad "status: $me (boot $myboot) is '$(host_field "$myboot" state)' after 90 s, want beating"
	fi
	apid=$(host_field "$myboot" agent_pid)
	upid=$(systemctl show -P MainPID "$agent")
	[ "$apid" = "$upid" ] && [ "$apid" != 0 ] && ok "status: agent_pid $apid is $agent's" ||
		bad "status: agent_pid '$apid', $agent's MainPID $upid"
	r=$(records "$myboot")
	[ "$r" = "/mnt/x /srv/x" ] && ok "status: $me records $r" ||
		bad "status: $me records '$r', want '/mnt/x /srv/x'"

	[ -z "${PEER:-}" ] || touch "/out/$me.ready"
	if [ -n "${PEER:-}" ]; then
		say "the other host ($PEER), booted at the same time: beating, its mounts recorded"
		# The hosts tell each other their boot ids, and when they are past looking, through /out.
		wait_until 120 test -s "/out/$PEER.boot" || fail "$PEER did not say its boot id within 120 s"
		peer=$(cat "/out/$PEER.boot")
		# Until it beats with both records, or says that its own are as they will stay (.ready).
		peer_up() {
			status_json && [ "$(host_field "$peer" state)" = beating ] && [ "$(records "$peer")" = "/mnt/x /srv/x" ]
		}
		peer_done() { peer_up || test -e "/out/$PEER.ready"; }
		wait_until 120 peer_done || true
		if peer_up; then
			ok "status: $PEER beating, records $(records "$peer")"
		else
			bad "status: $PEER is '$(host_field "$peer" state)' with records '$(records "$peer")', want beating with '/mnt/x /srv/x'"
		fi
		touch "/out/$me.looked"
		# Neither host unmounts before the other has looked at its records.
		wait_until 120 test -e "/out/$PEER.looked" || bad "$PEER did not get this far within 120 s"
	fi

	say "systemctl stop $automount: /srv/x unmounted, its record removed"
	if findmnt -n /srv/x > /dev/null; then
		systemctl stop "$automount" || bad "systemctl stop $automount failed"
		findmnt -n /srv/x > /dev/null && bad "/srv/x still mounted after stopping $automount" ||
			ok "/srv/x unmounted"
		status_json --watch 0 || fail "daxpool status --pool shared"
		r=$(records "$myboot")
		case " $r " in
		*" /srv/x "*) bad "the record of /srv/x is still there after the stop (records: $r)" ;;
		*) ok "records after the stop: '$r'" ;;
		esac
	else
		echo "not checked: nothing is mounted at /srv/x"
	fi

	say "umount /mnt/x (umount.daxfs): its record removed"
	if findmnt -n /mnt/x > /dev/null; then
		umount /mnt/x || bad "umount /mnt/x failed"
		findmnt -n /mnt/x > /dev/null && bad "/mnt/x still mounted" || ok "/mnt/x unmounted"
		status_json --watch 0 || fail "daxpool status --pool shared"
		r=$(records "$myboot")
		[ -z "$r" ] && ok "no records left" || bad "records after umount /mnt/x: '$r', want none"
	else
		echo "not checked: nothing is mounted at /mnt/x"
	fi
	expect_unit_active "$agent"
	[ -z "${PEER:-}" ] || touch "/out/$me.unmounted"

	if [ "${VERIFY:-}" = 1 ]; then
		say "unload of the fstab image once both hosts unmounted it (no --force)"
		[ -z "${PEER:-}" ] || wait_until 120 test -e "/out/$PEER.unmounted" || bad "$PEER did not unmount within 120 s"
		if daxpool unload tab --pool shared > /tmp/unload.out 2>&1; then
			ok "unload tab: $(cat /tmp/unload.out)"
		else
			cat /tmp/unload.out
			bad "unload tab refused after both hosts unmounted it"
		fi
	fi

	if [ "${VERIFY:-}" = 1 ]; then
		say "systemd-analyze verify: every installed daxpool unit"
		systemctl list-unit-files --no-legend --plain 'daxpool*' | cut -d' ' -f1 > /tmp/units
		sed 's/^/installed: /' /tmp/units
		for u in daxpool-agent@.service daxpool-attach.service daxpool-automount@.service; do
			grep -qx "$u" /tmp/units || bad "$u is not installed"
		done
		while read -r u; do
			# A template is verified as the instance for this pool's device, beside the template.
			case $u in
			*@.service)
				f=$(systemctl show -P FragmentPath "${u%@.service}@$k.service")
				f=$(dirname "$f")/${u%@.service}@$k.service
				;;
			*) f=$(systemctl show -P FragmentPath "$u") ;;
			esac
			# No man pages in the guest (no man-db): their links are checked by the install test.
			if systemd-analyze verify --man=no "$f" > /tmp/verify.out 2>&1; then
				ok "systemd-analyze verify $f"
			else
				cat /tmp/verify.out
				bad "systemd-analyze verify $f"
			fi
		done < /tmp/units
	fi

	if [ "${VERIFY:-}" = 1 ]; then
		say "the device goes away (its dev_dax deleted): the pool's units stop, /srv/x is unmounted"
		systemctl start "$automount" || bad "systemctl start $automount"
		expect_daxfs /srv/x
		parent=$(basename "$(dirname "$(readlink -f "/sys/bus/dax/devices/$k")")")
		pdrv=$(basename "$(readlink -f "/sys/bus/nd/devices/$parent/driver")")
		echo "unbinding $parent from $pdrv"
		echo "$parent" > "/sys/bus/nd/drivers/$pdrv/unbind" || bad "unbind $parent"
		inactive() { [ "$(systemctl show -P ActiveState "$1")" = inactive ] || [ "$(systemctl show -P ActiveState "$1")" = failed ]; }
		gone() { inactive "$agent" && inactive "$automount" && ! findmnt -n /srv/x > /dev/null; }
		if wait_until 30 gone; then
			ok "after the device went: $agent $(unit_state "$agent"), $automount $(unit_state "$automount"), /srv/x unmounted"
		else
			journalctl -b -o cat -u "$automount" | tail -5 | sed "s/^/$automount: /"
			bad "30 s after the device went: $agent $(unit_state "$agent"), $automount $(unit_state "$automount"), /srv/x $(findmnt -n /srv/x > /dev/null && echo mounted || echo unmounted)"
		fi
	fi
	;;
*) fail "PHASE must be setup or boot" ;;
esac
if [ "$NBAD" -gt 0 ]; then
	echo "systemd-boot ($PHASE): $NBAD check(s) failed"
	exit 2
fi
echo "systemd-boot ($PHASE): ok"
