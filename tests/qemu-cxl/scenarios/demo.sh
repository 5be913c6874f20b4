#!/bin/bash
# demo.sh: the story of scripts/demo (README's first command), on two emulated CXL hosts:
#   1. on this machine: `daxpool build --oci` makes the daxfs image of a Debian bookworm minbase
#      root from its OCI image layout (mkctrimage: mmdebstrap + umoci, cached in .cache/ctr-image/);
#   2. two systemd guests booted at once on one shared CXL memory (two 2 GiB cxl-type3 memdevs
#      backed by two files both guests map);
#   3. host A: `daxpool create --size 4G`, `load --region 0`, `mount`; host B: `attach` (finds
#      A's pool in the memory), `mount` the same image: no copy;
#   4. each host starts containers over overlayfs on its daxfs mount (guest/containers.sh) that
#      run the image's /bin/sh and cat;
#   5. each host: page-cache growth while they run, `daxpool status` (mounted by 2 hosts,
#      memory saved = the image's size), the same image uuid and offset on both; here: the
#      shared memory's backing files hold one copy of the image, not two;
#   6. clean-up: containers stopped, umount on both, unload + destroy on A, guests powered off,
#      the scratch folder (with the 2 x 2 GiB sparse backing files) removed.
# Prints each step's time and a summary; exits 0 only if every check passed (guest/demo.sh).
# Env: N (containers per host, default 2).
. "$(dirname "$0")/lib.sh"
T0=$EPOCHREALTIME
# The backing files are sparse but large: removed whatever the outcome (logs are kept on failure).
# The progress loop (pp) is ended too when the demo is interrupted.
pp=
trap 'rc=$?; [ -z "$pp" ] || kill "$pp" 2>/dev/null; rm -f "$WORK"/mem.raw*; [ $rc = 0 ] && rm -rf "$WORK"' EXIT
now() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%6.1f", b - a }'; }
banner() { echo; echo "[$(now) s] === $*"; }
# hstep LABEL CMD...: a step on this machine, timed into the summary.
hstep() {
	local l=$1 a=$EPOCHREALTIME
	shift
	"$@"
	echo "host|$l|$(awk -v a="$a" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')" >>"$WORK/sig/steps"
}
mkdir -p "$WORK/sig"
N=${N:-2}

banner "1. this machine: the container image, from an OCI image layout"
OCI=$("$HERE/mkctrimage")
echo "OCI layout: $OCI ($(du -sh "$OCI" | cut -f1)), tag bookworm"
hstep "build --oci (daxfs image)" "$DAXPOOL_BUILD/cli/daxpool" build --oci "$OCI:bookworm" -o "$WORK/ctr.daxfs"
IMGSIZE=$(stat -c %s "$WORK/ctr.daxfs")
"$DAXPOOL_BUILD/cli/daxpool" inspect -j "$WORK/ctr.daxfs" >"$WORK/inspect.json"
IMGUUID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["superblock"]["uuid"])' "$WORK/inspect.json")
echo "image: $IMGSIZE bytes ($((IMGSIZE >> 20)) MiB), uuid $IMGUUID"
ROOT=$WORK/root.cpio
hstep "guest root (systemd/mkinitramfs)" "$HERE/systemd/mkinitramfs" "$ROOT"

banner "2-6. two CXL hosts at once on one shared memory (2 x 2 GiB memdevs); their output follows when they power off"
common=(--systemd "$ROOT" -t cxl -d 2 -s 2G -m 2G -T 600 -f "$WORK/mem.raw" -o "$WORK/sig" -i "$G/containers.sh"
	-e "IMGSIZE=$IMGSIZE" -e "IMGUUID=$IMGUUID" -e "N=$N")
# Progress while they run: each step as a host finishes it (its full output follows at the end).
progress() {
	local n=0 i L=()
	while :; do
		[ ! -f "$WORK/sig/steps" ] || mapfile -t L <"$WORK/sig/steps"
		for ((i = n; i < ${#L[@]}; i++)); do
			IFS='|' read -r h l s <<<"${L[$i]}"
			[ "$h" = host ] || echo "[$(now) s] $h: $l: $s s"
		done
		n=${#L[@]}
		[ ! -e "$WORK/sig/.done" ] || break
		sleep 1
	done
}
progress &
pp=$!
t=$EPOCHREALTIME ra=0 rb=0
"$RUN" "${common[@]}" -n demo-a -i "$WORK/ctr.daxfs" -e ROLE=A -e PEER=demo-b "$G/demo.sh" >"$WORK/a.out" 2>&1 &
pa=$!
"$RUN" "${common[@]}" -n demo-b -e ROLE=B -e PEER=demo-a "$G/demo.sh" >"$WORK/b.out" 2>&1 &
pb=$!
wait $pa || ra=$?
wait $pb || rb=$?
touch "$WORK/sig/.done"
wait "$pp"
pp=
echo "host|two hosts: boot to power-off|$(awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')" >>"$WORK/sig/steps"
for h in a b; do
	banner "host $h (demo-$h)"
	grep -v '^\[demo-.\] boot: \(Startup\|graphical\)' "$WORK/$h.out"
done
failed=()
[ $ra = 0 ] || failed+=("host A (status $ra)")
[ $rb = 0 ] || failed+=("host B (status $rb)")

banner "one copy in the shared memory"
# The guests wrote the image into the memory once (A's load); a second copy would double this.
alloc=$(du -kc "$WORK"/mem.raw "$WORK"/mem.raw.1 | tail -1 | cut -f1)
echo "backing files of the shared memory: $(du -hc --apparent-size "$WORK"/mem.raw "$WORK"/mem.raw.1 | tail -1 | cut -f1) apparent, $((alloc >> 10)) MiB written; the image: $((IMGSIZE >> 20)) MiB"
if [ "$alloc" -lt $((IMGSIZE * 3 / 2 / 1024)) ] && [ "$alloc" -ge $((IMGSIZE / 1024)) ]; then
	echo "ok: one copy of the image in the shared memory ($alloc KiB written, image $((IMGSIZE / 1024)) KiB)"
else
	echo "FAIL: $alloc KiB written to the shared memory, not one copy of $((IMGSIZE / 1024)) KiB"
	failed+=("one copy in the shared memory")
fi

banner "summary"
printf '%-8s %-40s %8s\n' where step seconds
awk -F'|' '{ printf "%-8s %-40s %8s\n", $1, $2, $3 }' "$WORK/sig/steps"
echo
printf '%-8s %-40s %8s\n' host "page cache" KiB
[ ! -s "$WORK/sig/pagecache" ] || awk -F'|' '{ printf "%-8s %-40s %8s\n", $1, $2, $3 }' "$WORK/sig/pagecache"
echo
printf '%-8s %-40s %8s\n' host "daxpool status, both hosts' containers running" value
[ ! -s "$WORK/sig/status" ] || awk -F'|' '{ printf "%-8s %-40s %8s\n%-8s %-40s %8.2f\n", $1, "ctr: mounted_hosts", $2, $1, "saved_size (MiB)", $3 / 1048576 }' "$WORK/sig/status"
echo "whole demo: $(now) s"
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAIL: $(printf '%s; ' "${failed[@]}")(FAIL lines and logs above; scratch kept: $WORK)" >&2
	exit 1
fi
echo "demo: every check passed: image ctr ($((IMGSIZE >> 20)) MiB) is one copy in the shared CXL memory, run from by both hosts"
