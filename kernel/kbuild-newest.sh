#!/bin/bash
# kernel/kbuild-newest.sh - build daxfs.ko against the newest kernel headers Debian's archive
# offers for a later release than the guests' (linux-headers-amd64 from trixie-backports), so
# that interfaces changed after 6.12 (kernel/compat.h) are handled before users hit them. The
# module is built, never loaded: no guest boots that kernel.
#
# Those headers' kbuild tools need trixie's C library and compiler, so the build runs in a
# trixie root made with mmdebstrap from Debian's archive (gcc, make, the headers; ~450 MB),
# cached in $DAXPOOL_CACHE/kbuild-newest/KEY (KEY: a hash of what goes in it) and reused.
# Needs root (mmdebstrap's root mode, chroot). Warnings are errors (KCFLAGS=-Werror).
#
# kbuild-newest.sh --root-only: make (or find) the cached root and stop (scripts/test makes it
# in the background while the project builds). The cache is locked: a second run waits.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$HERE")
CACHE=${DAXPOOL_CACHE:-$TOP/.cache}/kbuild-newest
SUITE=trixie
MIRROR=${DAXPOOL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PKGS=(gcc make libc6-dev linux-headers-amd64/$SUITE-backports)
fail() { echo "FAIL: $*" >&2; exit 1; }

KEY=$(printf '%s\n' "$SUITE" "$MIRROR" "${PKGS[@]}" | sha256sum | cut -c1-16)
ROOT=$CACHE/$KEY/root
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [ ! -f "$CACHE/$KEY/.complete" ]; then
	[ "$(id -u)" = 0 ] || fail "the $SUITE build root is made as root (mmdebstrap root mode, chroot): run the tests as root"
	command -v mmdebstrap > /dev/null || fail "mmdebstrap missing (run scripts/setup)"
	echo "kbuild-newest: making the $SUITE build root (${PKGS[*]})" >&2
	rm -rf "$CACHE/$KEY"
	mkdir -p "$CACHE/$KEY"
	t0=$(date +%s)
	mmdebstrap --variant=minbase --mode=root --include="$(IFS=,; echo "${PKGS[*]}")" \
		"$SUITE" "$ROOT" "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-backports main" \
		> "$CACHE/$KEY/mmdebstrap.log" 2>&1 ||
		{ tail -20 "$CACHE/$KEY/mmdebstrap.log" >&2; rm -rf "$ROOT"; fail "mmdebstrap of the $SUITE build root failed"; }
	touch "$CACHE/$KEY/.complete"
	echo "kbuild-newest: made in $(($(date +%s) - t0)) s" >&2
	# Older roots (another package list) go.
	for o in "$CACHE"/*/; do [ "${o%/}" = "$CACHE/$KEY" ] || rm -rf "$o"; done
fi
[ "${1:-}" != --root-only ] || exit 0
[ "$(id -u)" = 0 ] || fail "the build runs in a chroot: run the tests as root"

# The newest headers in the root (linux-headers-amd64 depends on exactly one).
H=$(cd "$ROOT/usr/src" && ls -d linux-headers-*-amd64 | sort -V | tail -1)
KVER=${H#linux-headers-}
[ -n "$KVER" ] && [ -f "$ROOT/usr/src/$H/Makefile" ] || fail "no kernel headers in $ROOT/usr/src"

# The sources as kernel/build.sh lays them out: kernel/ and the shared format code.
S=$ROOT/src/daxfs
rm -rf "$S"
mkdir -p "$S/format"
cp "$HERE"/Kbuild "$HERE"/*.[ch] "$S/"
cp "$TOP"/lib/format/*.[ch] "$S/format/"
# objtool reads /proc: mount it in a private mount namespace (nothing is left mounted).
unshare --mount --fork sh -c 'mount -t proc proc "$1/proc" && exec chroot "$1" make -s -C "/usr/src/$2" M=/src/daxfs KCFLAGS=-Werror modules' \
	sh "$ROOT" "$H" >&2 || fail "daxfs does not build against $KVER (kernel/compat.h)"
ko=$S/daxfs.ko
modinfo -F vermagic "$ko" | grep -q "^$KVER " || fail "$ko is not for $KVER: $(modinfo -F vermagic "$ko")"
modinfo -F alias "$ko" | grep -qx 'fs-daxfs' || fail "$ko has no fs-daxfs alias (MODULE_ALIAS_FS)"
echo "kbuild-newest: daxfs.ko built against $KVER ($(chroot "$ROOT" dpkg-query -W -f '${Version}' linux-headers-amd64), gcc $(chroot "$ROOT" gcc -dumpfullversion)), alias fs-daxfs"
