#!/bin/bash
# systemd-boot.sh: hosts that boot like real ones. Debian's systemd is PID 1 with systemd-udevd,
# in a root file system made from Debian's packages (systemd/mkrootfs), daxpool installed into it
# with `meson install --destdir`, daxfs.ko with kbuild's modules_install, daxpool-attach.service
# enabled (systemd/mkinitramfs). No daxpool command runs after boot 2 begins but read-only ones:
# what is mounted and running there, the boot did (guest/systemd-boot.sh).
#   boot 1: create pool 'shared', load an image marked for automount at /srv/x and another;
#   boot 2: two hosts at once on the same memory (the first one the same machine as boot 1), an
#     fstab line for the other image in their root; each: attach unit, udev properties and link,
#     agent and automount units active, both images mounted and equal to the source, both mount
#     records beside this host beating, the other host's too; stopping the automount unit and
#     unmounting the fstab mount each remove their record; systemd-analyze verify of the units.
#     sd-a2 also has two further devices (label-less NVDIMMs: raw pmem namespaces), one blank
#     and one holding a pool whose superblocks are both damaged: each ignored with one journal
#     line, no link, no unit; and they do not delay the boot: sd-a2's boot times (with them)
#     are compared with sd-b2's (without them, booted at the same time), below.
# A guest that does not boot or report fails the scenario; so does any failed check, after
# both boots ran as far as they could.
. "$(dirname "$0")/lib.sh"
T0=$(date +%s)
make_image
ROOT=$WORK/root.cpio
t=$(date +%s)
"$HERE/systemd/mkinitramfs" "$ROOT"
echo "root: $(($(date +%s) - t)) s to make, $(du -m "$ROOT" | cut -f1) MiB"
# Boot 2's root: the operator's fstab line. The guest's root is its initramfs, fresh on every
# boot, so boot 1 cannot leave it there: it goes into the root that boot 2 boots.
mkdir -p "$WORK/fstab/etc"
echo "shared/tab /mnt/x daxfs ro,nofail 0 0" >"$WORK/fstab/etc/fstab"
(cd "$WORK/fstab" && find . -print0 | cpio --null -o -H newc --quiet) | cat "$ROOT" - >"$WORK/root2.cpio"

# The devices sd-a2 ignores: a blank one, and one holding a pool whose superblocks (both
# copies, pool/layout.hpp: at 0 and 2 MiB - 4 KiB) have one byte of the UUID flipped, the magic
# kept, so that the checksums fail: a damaged pool, not "no pool".
truncate -s 64M "$WORK/blank.nv"
"$DAXPOOL_BUILD/cli/daxpool" create -q --file "$WORK/broken.nv" --size 64M --name broken > /dev/null
python3 - "$WORK/broken.nv" <<'PY'
import sys
with open(sys.argv[1], 'r+b') as f:
    for off in (0, 2 * 1024 * 1024 - 4096):
        f.seek(off); assert f.read(8) == b'DAXPOOL1'
        f.seek(off + 40); b = f.read(1); f.seek(off + 40); f.write(bytes([b[0] ^ 0xff]))
PY
[ "$(stat -c %s "$WORK/broken.nv")" = $((64 << 20)) ] || fail "broken.nv is not 64 MiB"

common=(-t cxl -s 1G -m 2G -f "$WORK/mem.raw" -i "$WORK/image" -i "$WORK/manifest")
failed=()
# The guest exits 2 when checks failed but it went on; anything else (125: it did not boot or
# report) is a failure too. All are listed at the end.
judge() {
	local what=$1 rc=$2
	case $rc in
	0) ;;
	2) failed+=("$what") ;;
	125) failed+=("$what: the guest did not boot or did not report a result") ;;
	*) failed+=("$what: status $rc") ;;
	esac
}

say "boot 1: create the pool, load 'auto' (--automount /srv/x) and 'tab'"
t=$(date +%s) rc=0
"$RUN" --systemd "$ROOT" "${common[@]}" -n sd-a1 -M sd-a -e PHASE=setup "$G/systemd-boot.sh" || rc=$?
judge "boot 1" $rc
# Boot 2 needs boot 1's pool: stop here unless boot 1 ran to its end.
[ $rc = 0 ] || [ $rc = 2 ] || fail "${failed[*]}"
B1=$(($(date +%s) - t))

say "boot 2: sd-a (boot 1's machine) and sd-b at once on the same memory"
mkdir -p "$WORK/sig"
t=$(date +%s) ra=0 rb=0
"$RUN" --systemd "$WORK/root2.cpio" "${common[@]}" -o "$WORK/sig" -n sd-a2 -M sd-a -e PHASE=boot -e PEER=sd-b2 \
	-e VERIFY=1 -e IGNORED=2 --nvdimm "$WORK/blank.nv" --nvdimm "$WORK/broken.nv" "$G/systemd-boot.sh" &
pa=$!
"$RUN" --systemd "$WORK/root2.cpio" "${common[@]}" -o "$WORK/sig" -n sd-b2 -M sd-b -e PHASE=boot -e PEER=sd-a2 \
	"$G/systemd-boot.sh" &
pb=$!
wait $pa || ra=$?
wait $pb || rb=$?
B2=$(($(date +%s) - t))

# The devices sd-a2 ignores do not delay its boot: its times (each guest wrote them to /out)
# against sd-b2's, which booted at the same time on the same memory without them. A boot that
# waits on a device waits for a timeout: daxpool-attach's `udevadm settle --timeout=60` when a
# probe hangs, a device job's 90 s (DefaultTimeoutStartSec). Two TCG guests booting at once
# differ by a few seconds on an idle machine, by up to 18 s seen on a 2-core machine loaded
# by other guests. So the bound: sd-a2 at most MARGIN (30 s, half the shortest such timeout)
# later, at multi-user.target and at the automount's /srv/x. (The guest also checks that no
# job timed out.)
MARGIN=30
say "boot times without the ignored devices (sd-b2) and with them (sd-a2)"
for h in sd-b2 sd-a2; do
	if [ -s "$WORK/sig/$h.times" ]; then
		echo "$h: $(cat "$WORK/sig/$h.times")"
	else
		failed+=("boot times: $h reported none")
	fi
done
if [ -s "$WORK/sig/sd-a2.times" ] && [ -s "$WORK/sig/sd-b2.times" ]; then
	# KEY=SECONDS (of uptime) in HOST.times.
	secs() { sed -n "s/.*\b$1=\([0-9][0-9.]*\).*/\1/p" "$WORK/sig/$2.times"; }
	for k in multi_user srv_x; do
		a=$(secs $k sd-a2) b=$(secs $k sd-b2)
		if [ -z "$a" ] || [ -z "$b" ]; then
			failed+=("boot times: no $k time (sd-a2 '$a', sd-b2 '$b')")
			continue
		fi
		echo "$k: with the ignored devices $a s, without $b s of uptime, difference $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.2f", a - b }') s (bound: +$MARGIN s)"
		awk -v a="$a" -v b="$b" -v m=$MARGIN 'BEGIN { exit !(a - b <= m) }' ||
			failed+=("boot times: $k more than $MARGIN s later with the ignored devices")
	done
fi

# Judged after the times, which a guest that timed out waiting for a delayed peer still wrote.
judge "boot 2, sd-a2" $ra
judge "boot 2, sd-b2" $rb
echo "wall: boot 1 ${B1} s, boot 2 ${B2} s, whole scenario $(($(date +%s) - T0)) s"
[ ${#failed[@]} -eq 0 ] || fail "checks failed in: $(printf '%s; ' "${failed[@]}")(FAIL lines above)"
echo "systemd-boot: ok"
