# Helpers for scenario scripts; prepended to every scenario by tests/qemu-cxl/run.
# The scenario runs under /bin/sh (busybox ash) with `set -e`: the first failing command fails it.
set -e

say() { echo "--- $*"; }
fail() { echo "FAIL: $*"; exit 1; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# param NAME: a daxtest.NAME=value boot parameter (the harness passes options this way)
param() { sed -n "s/.*\bdaxtest\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }

# wait_dev DEV [SECS]: wait until a device node exists, opens and has a non-zero size
# (no udev in the guest, so nothing to settle on).
wait_dev() {
	i=0
	while [ "$(daxio size "$1" 2>/dev/null || echo 0)" = 0 ]; do
		i=$((i + 1))
		[ $i -le $((${2:-30} * 10)) ] || fail "wait_dev: $1 did not appear in ${2:-30} s"
		usleep 100000
	done
}

memdevs() { ls /sys/bus/cxl/devices 2>/dev/null | grep '^mem[0-9]' || true; }

# attach: the per-boot step. CXL: create (program and commit) a pmem region over every memdev,
# interleaved when there are several; the nd region then finds any namespace from the labels in
# the shared LSA. NVDIMM: the NFIT region is static, nothing to do.
# `cxl create-region` exits 0 even when it created no region: check `cxl list -R` instead.
attach() {
	m=$(memdevs | tr '\n' ' ')
	[ -n "$m" ] || return 0
	if ! cxl list -R 2>/dev/null | grep -q '"region"'; then
		w=$(echo $m | wc -w)
		cxl create-region -m -d decoder0.0 -w "$w" -g 256 -t pmem $m >/dev/null 2>&1 || true
	fi
	cxl list -R 2>/dev/null | grep -q '"region"' || {
		dmesg | grep -i cxl | tail -5
		fail "attach: no CXL region after cxl create-region over $m"
	}
	# The nd region appears asynchronously after the CXL region commits.
	i=0
	while ! ndctl list -R 2>/dev/null | grep -q '"dev":"region'; do
		i=$((i + 1)); [ $i -le 100 ] || fail "attach: no nd region for the CXL region"; usleep 100000
	done
}

# nvdimm_init_labels: NFIT NVDIMMs start label-less (raw); initialise their label area once.
nvdimm_init_labels() {
	[ -z "$(memdevs)" ] || return 0
	ndctl list -N -r region0 | grep -q '"mode":"raw"' || return 0
	ndctl disable-region all >/dev/null
	ndctl init-labels -f all >/dev/null
	ndctl enable-region all >/dev/null
}

# provision MODE [SIZE]: ONE host only, once per backing file. Creates a namespace (devdax or
# fsdax) in region0 with its struct pages in host RAM (--map=mem) so attaching hosts never write
# kernel metadata into the shared media. Prints the namespace's JSON.
provision() {
	attach
	nvdimm_init_labels
	ndctl create-namespace -r region0 -m "$1" --map=mem ${2:+-s $2} || fail "provision: create-namespace -m $1 failed"
}

# rescan: re-read labels another host wrote after this host attached.
rescan() {
	ndctl disable-region all >/dev/null 2>&1 || true
	ndctl disable-dimm all >/dev/null 2>&1 || true
	ndctl enable-dimm all >/dev/null 2>&1 || true
	ndctl enable-region all >/dev/null 2>&1 || true
}

# ns_count MODE: how many active namespaces of MODE this host sees.
ns_count() { ndctl list -N | grep -o "\"mode\":\"$1\"" | wc -l; }

# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }

# ns_dev MODE: /dev path of the first active namespace device of MODE (devdax: chardev,
# fsdax: blockdev), empty if none.
ns_dev() {
	case $1 in
	devdax) k=chardev ;;
	fsdax) k=blockdev ;;
	*) fail "ns_dev: unknown mode $1" ;;
	esac
	d=$(ndctl list -N | grep -o "\"$k\":\"[^\"]*\"" | head -1 | cut -d'"' -f4)
	[ -z "$d" ] || echo "/dev/$d"
}

# expect_tree DIR: every entry under DIR (content and metadata, fscheck manifest) equals the
# source tree's manifest made on the host (/in/manifest). Prints the number of entries.
# DIR is a daxfs mount point: unless it is mounted with -o trusted, the module serves no
# setuid/setgid bits of regular files and no security.capability (docs/daxfs.md), so the
# source's manifest is compared without them.
expect_tree() {
	if grep " $1 daxfs " /proc/mounts | grep -q '[ ,]trusted[ ,]'; then
		cp /in/manifest /tmp/want.$$
	else
		sed -E -e 's/^([^ ]+ 10)[246]/\10/' -e 's/^([^ ]+ 10)[357]/\11/' \
			-e 's/ security\.capability=[0-9a-f]*//' /in/manifest > /tmp/want.$$
	fi
	fscheck manifest "$1" > /tmp/manifest.$$
	if ! cmp -s /tmp/manifest.$$ /tmp/want.$$; then
		diff /tmp/want.$$ /tmp/manifest.$$ | head -20
		fail "the tree under $1 differs from the source"
	fi
	echo "$(wc -l < /tmp/manifest.$$) entries identical to the source"
	rm -f /tmp/manifest.$$ /tmp/want.$$
}

# power_cut: end the guest at once, as if its QEMU were killed: nothing is unmounted, no process
# is stopped, nothing is flushed. The scenario has passed up to here (a kernel error logged so
# far still fails it).
power_cut() {
	rc=0
	if dmesg | grep -qE 'BUG:|Oops|WARNING:|Call Trace|general protection|Kernel panic'; then
		echo "@@KERNEL-ERRORS"
		rc=124
	fi
	echo "@@TEST-END rc=$rc uptime=$(uptime_s) (power cut)"
	poweroff -f
}

# img_field FILE NAME FIELD: FIELD of image NAME in the "images" array of JSON document FILE
# (`daxpool list --json`, `status --json`); nothing when there is no such image.
img_field() {
	_i=0
	while _n=$(jsonget "images.$_i.name" "$1"); do
		[ "$_n" = "$2" ] && { jsonget "images.$_i.$3" "$1"; return; }
		_i=$((_i + 1))
	done
}
