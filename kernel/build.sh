#!/bin/bash
# kernel/build.sh KO OUTDIR KERNEL_ROOT KVER - build daxfs.ko (copied to KO) with kbuild against the unpacked
# guest kernel headers. Sources (kernel/ and the shared format code in lib/format/) are mirrored
# into OUTDIR so the source tree stays clean; make's own dependency tracking keeps rebuilds small.
set -euo pipefail
KO=$1 OUT=$2 KROOT=$3 KVER=$4
SRC=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$SRC")
H=$KROOT/usr/src/linux-headers-$KVER
[ -f "$H/Makefile" ] || { echo "kernel/build.sh: no kernel headers at $H (run scripts/setup)" >&2; exit 1; }
mkdir -p "$OUT"
rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' --exclude '*.mod*' \
	--exclude 'Module.symvers' --exclude 'modules.order' --exclude '.tmp*' --exclude build.sh \
	--exclude format/ "$SRC/" "$OUT/"
if [ -d "$TOP/lib/format" ]; then
	mkdir -p "$OUT/format"
	rsync -a --delete --include '*.c' --include '*.h' --exclude '*' "$TOP/lib/format/" "$OUT/format/"
fi
make -s -C "$H" M="$OUT" modules >&2
cp "$OUT/daxfs.ko" "$KO"
