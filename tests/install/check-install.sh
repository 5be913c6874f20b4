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

want=("$bindir/daxpool" "$helperdir/mount.daxfs" "$helperdir/umount.daxfs" "$rulesdir/90-daxpool.rules"
	"$unitdir/daxpool-agent@.service" "$unitdir/daxpool-attach.service" "$sysconfdir/daxpool/daxpool.conf"
	"$mandir/man8/daxpool.8")
for f in "${want[@]}"; do
	[ -e "$D$f" ] || [ -L "$D$f" ] || fail "meson install did not lay out $f (got: $(cd "$D" && find . -type f -o -type l | sort | tr '\n' ' '))"
	echo "installed: $f"
done
[ -x "$D$bindir/daxpool" ] || fail "$bindir/daxpool is not executable"
for h in mount.daxfs umount.daxfs; do
	[ "$(readlink "$D$helperdir/$h")" = "$bindir/daxpool" ] || fail "$helperdir/$h links to '$(readlink "$D$helperdir/$h")', want $bindir/daxpool"
done
# The helper runs as such: argv[0] dispatch (a usage error is mount(8)'s status 1).
rc=0; "$D$helperdir/mount.daxfs" > /dev/null 2>&1 || rc=$?
[ $rc = 1 ] || fail "mount.daxfs without arguments: status $rc, want 1 (usage)"
rc=0; "$D$helperdir/umount.daxfs" -t ext4 /x > /dev/null 2>&1 || rc=$?
[ $rc = 1 ] || fail "umount.daxfs -t ext4: status $rc, want 1"
grep -n '@[A-Z]*@' "$D$rulesdir/90-daxpool.rules" "$D$unitdir"/daxpool-*.service && fail "unsubstituted @VAR@"
grep -q "IMPORT{program}=\"$bindir/daxpool probe --udev \$devnode\"" "$D$rulesdir/90-daxpool.rules" ||
	fail "the udev rule does not run $bindir/daxpool probe --udev"
# The probe: a device without a pool prints nothing and exits 0.
out=$("$D$bindir/daxpool" probe --udev /dev/null 2>&1) || fail "probe of /dev/null: status $?"
[ -z "$out" ] || fail "probe of /dev/null printed '$out'"

V=$D/verify
mkdir -p "$V"
for u in daxpool-agent@.service daxpool-attach.service; do
	grep -q "^ExecStart=$bindir/daxpool " "$D$unitdir/$u" || fail "$u: ExecStart is not $bindir/daxpool"
	sed "s|^ExecStart=$bindir/|ExecStart=$D$bindir/|" "$D$unitdir/$u" > "$V/$u"
done
for u in daxpool-agent@demo\\x2dpool.service daxpool-attach.service; do
	MANPATH=$D$mandir systemd-analyze verify "$V/$u" || fail "systemd-analyze verify $u"
	echo "verified: $u"
done
echo "install: ok"
