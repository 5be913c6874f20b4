#!/bin/bash
# kernel/dkms-tree.sh DEST: lay out DEST/daxfs-VERSION, the source tree `dkms add` takes
# (kernel/*.c *.h Kbuild, lib/format/*.c *.h under format/, dkms.conf); prints its path.
#   sudo kernel/dkms-tree.sh /usr/src && sudo dkms install daxfs/VERSION
set -euo pipefail
DEST=$1
SRC=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$SRC")
VERSION=$(sed -n "s/^  version : '\(.*\)',$/\1/p" "$TOP/meson.build")
[ -n "$VERSION" ] || { echo "dkms-tree.sh: no version in meson.build" >&2; exit 1; }
T=$DEST/daxfs-$VERSION
rm -rf "$T"
mkdir -p "$T/format"
cp "$SRC"/*.c "$SRC"/*.h "$SRC/Kbuild" "$T/"
cp "$TOP"/lib/format/*.c "$TOP"/lib/format/*.h "$T/format/"
sed "s/@VERSION@/$VERSION/" "$SRC/dkms.conf.in" > "$T/dkms.conf"
echo "$T"
