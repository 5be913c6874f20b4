#!/bin/bash
# bench/build.sh [ROUNDS]: P1, image build time and size of `daxpool build` against
# `mkfs.erofs -Enoinline_data` (erofs-utils 1.5's DAX-ready spelling; -E^inline_data is silently
# ignored by 1.5) and `mksquashfs -noI -noD -noF -noX` (uncompressed; it still deduplicates and
# packs tails) on the same trees, on the host. Trees: a copy of /usr/include; 40,000 small files
# (200 directories x 200); a Debian bookworm minbase root (mmdebstrap, cached in .cache/bench/).
# ROUNDS (default 3) rounds, the tools interleaved; in each, every tool builds every tree twice:
# cold (written back and all caches dropped just before) and warm (again at once, the tree still
# cached). The image is written to the same disk as the tree. Prints result lines (seconds,
# image MiB), then medians and ratios to mkfs.erofs.
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-3}
need mkfs.erofs mksquashfs
tree_usr_include "$WORK/usr-include"
tree_small "$WORK/small40k"
tree_minbase "$WORK/minbase"
for t in usr-include small40k minbase; do
	result part=P1 case=tree tree=$t metric=entries round=1 value="$(find "$WORK/$t" | wc -l)"
	result part=P1 case=tree tree=$t metric=tree_mib round=1 value="$(mib "$(du -sb "$WORK/$t" | cut -f1)")"
done

# build TOOL TREE IMG
build() {
	case $1 in
	daxpool) "$DAXPOOL" build -q "$WORK/$2" -o "$3" ;;
	erofs) mkfs.erofs -Enoinline_data "$3" "$WORK/$2" >/dev/null 2>&1 ;;
	squashfs) mksquashfs "$WORK/$2" "$3" -noI -noD -noF -noX -noappend -quiet -no-progress >/dev/null ;;
	esac || fail "$1 failed to build $2"
}

for r in $(seq "$ROUNDS"); do
	for t in usr-include small40k minbase; do
		for tool in daxpool erofs squashfs; do
			img=$WORK/img.$tool
			for cache in cold warm; do
				rm -f "$img"
				[ $cache = warm ] || drop_caches
				t0=$(now)
				build $tool $t "$img"
				result part=P1 case=$tool tree=$t cache=$cache metric=build_s round="$r" value="$(elapsed "$t0")"
			done
			result part=P1 case=$tool tree=$t metric=size_mib round="$r" value="$(mib "$(stat -c %s "$img")")"
			rm -f "$img"
		done
	done
done | tee "$WORK/out"
summarize "$WORK/out"
