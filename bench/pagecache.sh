#!/bin/bash
# bench/pagecache.sh [ROUNDS]: P5, the page cache per host when two hosts read one image. Two
# guests at once (QEMU TCG, Debian 6.12, 1 GiB each) on one memory: one NVDIMM backing file
# (NVDIMM rather than CXL, whose emulation is too slow for 256 MiB:
# ../shared/reference/anchors.md "Emulated device speeds") holding both images in fsdax
# namespaces, put there by a first boot. The tree (a copy of
# /usr/include + random files, 256 MiB in all) as a daxfs image, as ext4 mounted without DAX,
# and copied into tmpfs (from the daxfs mount). Each host reads every file of each, ROUNDS
# (default 3) times, caches dropped before each; result: growth of Cached + Buffers and fall of
# MemFree over the pass (tmpfs: over the copy and the pass), MiB.
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-3}
need mkfs.ext4
mkdir -p "$WORK/tree"
tree_usr_include "$WORK/tree/usr-include"
fill=$(((256 << 20) - $(du -sb "$WORK/tree" | cut -f1)))
[ $fill -gt 0 ] || fail "/usr/include is larger than 256 MiB"
for i in 1 2 3 4; do head -c $((fill / 4)) /dev/urandom >"$WORK/tree/random$i"; done
"$DAXPOOL" build -q "$WORK/tree" -o "$WORK/img.daxfs"
mkfs_ext4 "$WORK/tree" "$WORK/img.ext4"
{
	result part=P5 case=tree metric=tree_mib round=1 value="$(mib "$(du -sb "$WORK/tree" | cut -f1)")"
	result part=P5 case=daxfs metric=image_mib round=1 value="$(mib "$(stat -c %s "$WORK/img.daxfs")")"
} | tee "$WORK/out"
rm -rf "$WORK/tree"
S=($(nvdimm_files "$WORK/img.daxfs" "$WORK/img.ext4"))
# One NVDIMM both hosts share (its backing file): a first boot copies the images into fsdax
# namespaces of it, then the two readers boot at once.
common=(-t nvdimm -s "$(nvdimm_mib "${S[@]}")M" -f "$WORK/shared.nv" -m 1G -T 2400 -i "$BENCH/guest/lib.sh"
	-o "$WORK/share" -e "ROUNDS=$ROUNDS")
mkdir -p "$WORK/share"
"$RUN" "${common[@]}" -n bench-pc-setup --nvdimm "$WORK/img.daxfs" --nvdimm "$WORK/img.ext4" \
	-e PHASE=setup -e "SZ_DAXFS=${S[0]}" -e "SZ_EXT4=${S[1]}" "$BENCH/guest/pagecache.sh"
read -r ns_d ns_x < <(sed 's/NS_DAXFS=\([0-9]*\) NS_EXT4=\([0-9]*\)/\1 \2/' "$WORK/share/sizes")
rm -f "$WORK/img.daxfs" "$WORK/img.ext4"
guest() {
	"$RUN" "${common[@]}" -n "bench-pc-$1" -e PHASE=read -e "NS_DAXFS=$ns_d" -e "NS_EXT4=$ns_x" \
		"$BENCH/guest/pagecache.sh"
}
guest a >"$WORK/out-a" & pa=$!
guest b >"$WORK/out-b" & pb=$!
ra=0 rb=0
wait $pa || ra=$?
wait $pb || rb=$?
cat "$WORK/out-a" "$WORK/out-b" | tee -a "$WORK/out"
[ $ra = 0 ] && [ $rb = 0 ] || fail "a guest failed (a: status $ra, b: status $rb)"
summarize "$WORK/out"
