#!/bin/bash
# bench/stamp.sh [ROUNDS]: P2, stamping an image into a pool: `daxpool load` (validate, copy with
# non-temporal stores, make durable, read back and verify, seal) against a plain copy of the same
# bytes into the same memory (daxbench memcpy: both mapped, one memcpy, then an sfence for a
# device or msync for a file). Two settings:
#   guest: a device-dax pool (ndctl devdax namespace on an NVDIMM, `daxpool create --device`) in
#          one guest (QEMU TCG, Debian 6.12), the image in the guest's RAM;
#   host:  a file-backed pool (`daxpool create --file`) in /dev/shm, the image in /dev/shm.
# The image: /usr/include's daxfs image. ROUNDS (default 3) interleaved rounds; the image is
# unloaded after each load; the copy goes to the device's (file's) last bytes, outside the
# pool's metadata. Result: seconds of each; the report's ratio is memcpy time / load time (load
# throughput relative to memcpy's).
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-3}
mkdir -p "$WORK/share"
tree_usr_include "$WORK/tree"
"$DAXPOOL" build -q "$WORK/tree" -o "$WORK/share/img.daxfs"
rm -rf "$WORK/tree"
size=$(stat -c %s "$WORK/share/img.daxfs")
result part=P2 case=image metric=image_mib round=1 value="$(mib "$size")" | tee "$WORK/out"

# host: a file-backed pool in RAM (tmpfs), and the image there too
H=$(mktemp -d /dev/shm/daxpool-bench.XXXXXX)
# (keeps the harness's own rule: WORK removed when the script passes)
trap 'rc=$?; rm -rf "$H"; [ $rc != 0 ] || rm -rf "$WORK"' EXIT
cp "$WORK/share/img.daxfs" "$H/img.daxfs"
pool_size=$(((size * 3 / (1 << 20) + 64) << 20))
"$DAXPOOL" create -q --file "$H/p.pool" --size "$pool_size" -n benchhost >/dev/null
off=$(((pool_size - size) / (2 << 20) * (2 << 20) - (2 << 20)))
for r in $(seq "$ROUNDS"); do
	"$DAXBENCH" time "$DAXPOOL" load -q --no-progress "$H/img.daxfs" -p "$H/p.pool" -n img >/dev/null 2>"$WORK/err" ||
		{ cat "$WORK/err" >&2; fail "daxpool load into $H/p.pool failed"; }
	t=$(sed -n 's/^seconds=//p' "$WORK/err")
	"$DAXPOOL" unload -q img -p "$H/p.pool" >/dev/null
	result part=P2 case=host-load metric=stamp_s round="$r" value="$t"
	t=$("$DAXBENCH" memcpy "$H/p.pool" "$off" "$H/img.daxfs" | sed -n 's/.*seconds=//p')
	result part=P2 case=host-memcpy metric=stamp_s round="$r" value="$t"
done | tee -a "$WORK/out"
"$DAXPOOL" fsck -q -p "$H/p.pool" >/dev/null || fail "the host pool is not clean after the rounds"
rm -rf "$H"

"$RUN" -t nvdimm -s 512M -m 1G -T 1800 -n bench-stamp -o "$WORK/share" -i "$BENCH/guest/lib.sh" \
	-e "ROUNDS=$ROUNDS" "$BENCH/guest/stamp.sh" | tee -a "$WORK/out"
summarize "$WORK/out"
