#!/bin/bash
# check-install.sh BUILDDIR: `meson install --destdir` into a fresh folder lays out every file
# README's "Install on a host" lists, the helpers are links to the installed daxpool, every
# @VAR@ was substituted, and `systemd-analyze verify` passes on each unit (its ExecStart= and
# man: page pointed into the folder, where they were installed; the paths as installed are
# checked to name the installed binary).
set -euo pipefail
B=$1
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
opt() { meson introspect "$B" --buildoptions | python3 -c "import json,sys; print([o['value'] for o in json.load(sys.stdin) if o['name']=='$1'][0])"; }
meson install -C "$B" --destdir "$D" --no-rebuild --quiet
prefix=$(opt prefix)
abs() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
bindir=$(abs "$(opt bindir)")
sysconfdir=$(abs "$(opt sysconfdir)")
mandir=$(abs "$(opt mandir)")
helperdir=$(opt mounthelperdir)
rulesdir=$(opt udevrulesdir); rulesdir=${rulesdir:-$prefix/lib/udev/rules.d}
unitdir=$(opt systemdunitdir); unitdir=${unitdir:-$prefix/lib/systemd/system}
compdir=$(opt bashcompletiondir); compdir=${compdir:-$(abs "$(opt datadir)")/bash-completion/completions}

want=("$bindir/daxpool" "$helperdir/mount.daxfs" "$helperdir/umount.daxfs" "$rulesdir/90-daxpool.rules"
	"$unitdir/daxpool-agent@.service" "$unitdir/daxpool-automount@.service" "$unitdir/daxpool-attach.service" "$sysconfdir/daxpool/daxpool.conf"
	"$mandir/man8/daxpool.8" "$compdir/daxpool")
for f in "${want[@]}"; do
	[ -e "$D$f" ] || [ -L "$D$f" ] || fail "meson install did not lay out $f (got: $(cd "$D" && find . -type f -o -type l | sort | tr '\n' ' '))"
	echo "installed: $f"
done
[ -x "$D$bindir/daxpool" ] || fail "$bindir/daxpool is not executable"
for h in mount.daxfs umount.daxfs; do
	[ "$(readlink "$D$helperdir/$h")" = "$bindir/daxpool" ] || fail "$helperdir/$h links to '$(readlink "$D$helperdir/$h")', want $bindir/daxpool"
done
# The helper runs as such: argv[0] dispatch (a usage error is mount(8)'s status 1).
# (run under the helper's name: the link names the binary where it will be installed)
rc=0; (exec -a mount.daxfs "$D$bindir/daxpool") > /dev/null 2>&1 || rc=$?
[ $rc = 1 ] || fail "mount.daxfs without arguments: status $rc, want 1 (usage)"
rc=0; (exec -a /sbin/umount.daxfs "$D$bindir/daxpool" -t ext4 /x) > /dev/null 2>&1 || rc=$?
[ $rc = 1 ] || fail "umount.daxfs -t ext4: status $rc, want 1"
grep -n '@[A-Z]*@' "$D$rulesdir/90-daxpool.rules" "$D$unitdir"/daxpool-*.service && fail "unsubstituted @VAR@"
grep -q "IMPORT{program}=\"$bindir/daxpool probe --udev \$devnode\"" "$D$rulesdir/90-daxpool.rules" ||
	fail "the udev rule does not run $bindir/daxpool probe --udev"
# The probe (on files: the same superblock code as on a device): no pool: the properties
# cleared, ID_DAXPOOL_IGNORED=no-pool and one log line; a pool: its properties; both
# superblocks damaged: cleared, ID_DAXPOOL_IGNORED=damaged-pool and one log line, status 0 (that
# a finding is logged once per boot under udev is checked in the guest: cxl-systemd-boot); a device
# it cannot read: one log line, nothing on stdout, status 1 (the rule keeps the last values then).
X=$D/probe
mkdir -p "$X"
truncate -s 8M "$X/zero"
cleared() { printf 'ID_DAXPOOL_UUID=\nID_DAXPOOL_NAME=\nID_DAXPOOL_IGNORED=%s' "$1"; }
out=$("$D$bindir/daxpool" probe --udev "$X/zero" 2>"$X/err") || fail "probe of zeros: status $?"
[ "$out" = "$(cleared no-pool)" ] || fail "probe of zeros printed '$out', want the properties cleared, ignored: no-pool"
[ "$(wc -l < "$X/err")" = 1 ] && grep -q "no daxpool pool, ignored" "$X/err" ||
	fail "probe of zeros: want one log line, got '$(cat "$X/err")'"
if out=$("$D$bindir/daxpool" probe --udev "$X/nosuch" 2>"$X/err"); then fail "probe of a missing device: status 0"; fi
[ -z "$out" ] || fail "probe of a missing device printed '$out'"
[ "$(wc -l < "$X/err")" = 1 ] || fail "probe of a missing device: want one log line, got '$(cat "$X/err")'"
"$D$bindir/daxpool" create --file "$X/p" --size 64M --name demo-pool+1 > /dev/null
out=$("$D$bindir/daxpool" probe --udev "$X/p") || fail "probe of a pool: status $?"
echo "$out"
echo "$out" | grep -qx 'ID_DAXPOOL_NAME=demo-pool+1' || fail "no ID_DAXPOOL_NAME"
echo "$out" | grep -qE '^ID_DAXPOOL_UUID=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' || fail "no ID_DAXPOOL_UUID"
echo "$out" | grep -qx 'ID_DAXPOOL_IGNORED=' || fail "ID_DAXPOOL_IGNORED not cleared for a pool"
[ "$(echo "$out" | wc -l)" = 3 ] || fail "probe: want exactly the three properties"
python3 - "$X/p" <<'PY'
import sys
# Both superblock copies (pool/layout.hpp: at 0 and 2 MiB - 4 KiB): one byte of the UUID flipped,
# the magic kept (so: a damaged pool, not "no pool").
with open(sys.argv[1], 'r+b') as f:
    for off in (0, 2 * 1024 * 1024 - 4096):
        f.seek(off); assert f.read(8) == b'DAXPOOL1'
        f.seek(off + 40); b = f.read(1); f.seek(off + 40); f.write(bytes([b[0] ^ 0xff]))
PY
out=$("$D$bindir/daxpool" probe --udev "$X/p" 2>"$X/err") || fail "probe of a damaged pool: status $?"
[ "$out" = "$(cleared damaged-pool)" ] || fail "probe of a damaged pool printed '$out', want the properties cleared, ignored: damaged-pool"
[ "$(wc -l < "$X/err")" = 1 ] && grep -q "superblocks are both damaged" "$X/err" || fail "damaged pool: want one log line, got '$(cat "$X/err")'"

V=$D/verify
mkdir -p "$V"
for u in daxpool-agent@.service daxpool-automount@.service daxpool-attach.service; do
	grep -q "^ExecStart=-\?$bindir/daxpool " "$D$unitdir/$u" || fail "$u: ExecStart is not $bindir/daxpool"
	sed "s|^\(Exec[A-Za-z]*=-\?\)$bindir/|\1$D$bindir/|" "$D$unitdir/$u" > "$V/$u"
done
# The instances udev makes: the kernel's device names.
for u in daxpool-agent@dax0.0.service daxpool-automount@pmem0.service daxpool-attach.service; do
	MANPATH=$D$mandir systemd-analyze verify "$V/$u" || fail "systemd-analyze verify $u"
	echo "verified: $u"
done
# The agent's status for "no pool here" (zeros: what destroy leaves of a pool) is the one its
# unit counts as a clean stop and does not restart; any other failure is restarted.
rc=0; "$D$bindir/daxpool" agent --pool "$X/zero" > /dev/null 2>"$X/err" || rc=$?
[ "$(wc -l < "$X/err")" = 1 ] && grep -q "daxpool: agent: no pool on $X/zero" "$X/err" ||
	fail "agent on zeros: want one line, got '$(cat "$X/err")'"
case $rc in 0 | 1 | 2) fail "agent on zeros: status $rc, want its own no-pool status" ;; esac
au=$D$unitdir/daxpool-agent@.service
for k in SuccessExitStatus RestartPreventExitStatus; do
	[ "$(sed -n "s/^$k=//p" "$au")" = "$rc" ] || fail "daxpool-agent@.service: $k= is not the agent's no-pool status $rc"
done
grep -qx 'Restart=always' "$au" || fail "daxpool-agent@.service: not Restart=always"
echo "agent: no pool: status $rc, not restarted by its unit"
# README's fstab line: systemd-fstab-generator makes a daxfs mount unit that waits for the
# pool's udev link (the rule above makes /dev/daxpool/NAME).
G=$D/gen
mkdir -p "$G"
echo "shared/rootfs /srv/rootfs daxfs ro,nofail,x-systemd.requires=/dev/daxpool/shared 0 0" > "$D/fstab"
gen=/lib/systemd/system-generators/systemd-fstab-generator
[ -x "$gen" ] || fail "no $gen"
SYSTEMD_FSTAB=$D/fstab SYSTEMD_PROC_CMDLINE= "$gen" "$G" "$G" "$G"
m=$G/srv-rootfs.mount
[ -f "$m" ] || fail "the fstab line made no srv-rootfs.mount"
for l in 'What=shared/rootfs' 'Type=daxfs' 'Requires=dev-daxpool-shared.device' 'After=dev-daxpool-shared.device'; do
	grep -qxF "$l" "$m" || { cat "$m"; fail "srv-rootfs.mount lacks $l"; }
done
grep -q 'SYMLINK+="daxpool/$env{ID_DAXPOOL_NAME}"' "$D$rulesdir/90-daxpool.rules" || fail "the rule makes no /dev/daxpool/NAME link"
grep -qF 'ENV{SYSTEMD_WANTS}+="daxpool-agent@%k.service daxpool-automount@%k.service"' "$D$rulesdir/90-daxpool.rules" ||
	fail "the rule does not pull in the agent and automount units by kernel name"
echo "fstab: srv-rootfs.mount requires dev-daxpool-shared.device"
# bash completion, with the installed binary on PATH: verbs, a verb's options, fixed values.
comp() {
	PATH="$D$bindir:$PATH" bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _daxpool; echo "${COMPREPLY[*]}"' \
		_ "$D$compdir/daxpool" "$@"
}
[ "$(comp daxpool autom)" = automount ] || fail "completion of 'daxpool autom': '$(comp daxpool autom)'"
[ "$(comp daxpool -v lo)" = load ] || fail "completion of 'daxpool -v lo': '$(comp daxpool -v lo)'"
[ "$(comp daxpool load x.img --autom)" = --automount ] || fail "completion of 'load --autom': '$(comp daxpool load x.img --autom)'"
[ "$(comp daxpool create --mode f)" = fsdax ] || fail "completion of 'create --mode f': '$(comp daxpool create --mode f)'"
echo "bash completion: verbs, options, values"
echo "install: ok"
