#!/bin/bash
# kernel/dkms-test.sh KROOT KVER: `dkms add` + `dkms build` of the tree kernel/dkms-tree.sh lays
# out, against the unpacked test kernel's headers (private DKMS and source trees in a temp folder:
# nothing installed); the module built is for KVER and carries the fs-daxfs alias that lets
# `mount -t daxfs` load it.
set -euo pipefail
KROOT=$1 KVER=$2
HERE=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v dkms > /dev/null || fail "dkms is not installed (scripts/setup installs it)"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
src=$("$HERE/dkms-tree.sh" "$T/src")
ver=${src##*/daxfs-}
[ -f "$src/format/validate.c" ] && [ -f "$src/format/daxfs_format.h" ] || fail "the tree lacks lib/format's sources"
mkdir -p "$T/dkms"
dkms add -m daxfs -v "$ver" --sourcetree "$T/src" --dkmstree "$T/dkms"
dkms build -m daxfs -v "$ver" -k "$KVER" --kernelsourcedir "$KROOT/usr/src/linux-headers-$KVER" \
	--sourcetree "$T/src" --dkmstree "$T/dkms" || { cat "$T/dkms/daxfs/$ver/build/make.log" 2>/dev/null; fail "dkms build"; }
ko=$(find "$T/dkms/daxfs/$ver/$KVER" -name 'daxfs.ko*' | head -1)
[ -n "$ko" ] || fail "dkms build made no daxfs.ko for $KVER"
modinfo -F vermagic "$ko" | grep -q "^$KVER " || fail "$ko is not for $KVER: $(modinfo -F vermagic "$ko")"
modinfo -F alias "$ko" | grep -qx 'fs-daxfs' || fail "$ko has no fs-daxfs alias (MODULE_ALIAS_FS)"
echo "dkms: $ko built for $KVER, alias fs-daxfs"
