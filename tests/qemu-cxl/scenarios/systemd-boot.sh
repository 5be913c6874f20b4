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

common=(-t cxl -s 1G -m 2G -f "$WORK/mem.raw" -i "$WORK/image" -i "$WORK/manifest")
failed=()
# The guest exits 2 when checks failed but it went on; anything else non-zero stops here.
judge() {
	local what=$1 rc=$2
	case $rc in
	0) ;;
	2) failed+=("$what") ;;
	125) fail "$what: the guest did not boot or did not report a result" ;;
	*) fail "$what: status $rc" ;;
	esac
}

say "boot 1: create the pool, load 'auto' (--automount /srv/x) and 'tab'"
t=$(date +%s) rc=0
"$RUN" --systemd "$ROOT" "${common[@]}" -n sd-a1 -M sd-a -e PHASE=setup "$G/systemd-boot.sh" || rc=$?
judge "boot 1" $rc
B1=$(($(date +%s) - t))

say "boot 2: sd-a (boot 1's machine) and sd-b at once on the same memory"
mkdir -p "$WORK/sig"
t=$(date +%s) ra=0 rb=0
"$RUN" --systemd "$WORK/root2.cpio" "${common[@]}" -o "$WORK/sig" -n sd-a2 -M sd-a -e PHASE=boot -e PEER=sd-b2 \
	-e VERIFY=1 "$G/systemd-boot.sh" &
pa=$!
"$RUN" --systemd "$WORK/root2.cpio" "${common[@]}" -o "$WORK/sig" -n sd-b2 -M sd-b -e PHASE=boot -e PEER=sd-a2 \
	"$G/systemd-boot.sh" &
pb=$!
wait $pa || ra=$?
wait $pb || rb=$?
judge "boot 2, sd-a2" $ra
judge "boot 2, sd-b2" $rb
B2=$(($(date +%s) - t))

echo "wall: boot 1 ${B1} s, boot 2 ${B2} s, whole scenario $(($(date +%s) - T0)) s"
[ ${#failed[@]} -eq 0 ] || fail "checks failed in: ${failed[*]} (FAIL lines above)"
echo "systemd-boot: ok"
