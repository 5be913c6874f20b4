# Sourced by host-side scenarios: RUN (the harness), WORK (this scenario's scratch folder,
# fresh on every run, removed when the scenario passes), and small helpers.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOP=$(cd "$HERE/../.." && pwd)
export DAXPOOL_BUILD=${DAXPOOL_BUILD:-$TOP/build}
RUN=$HERE/run
G=$HERE/guest
# DAXPOOL_GUEST_KERNEL: every guest of the scenario boots that kernel (run -k), e.g. 6.1.
SCENARIO=$(basename "$0" .sh)${1:+-$1}${DAXPOOL_GUEST_KERNEL:+-$DAXPOOL_GUEST_KERNEL}
WORK=$DAXPOOL_BUILD/qemu-cxl/work/$SCENARIO
rm -rf "$WORK"
mkdir -p "$WORK"
trap '[ $? = 0 ] && rm -rf "$WORK"' EXIT
# Build once here, not in each guest run (two runs at once would race in ninja).
if [ -z "${DAXPOOL_NO_BUILD:-}" ]; then
	meson compile -C "$DAXPOOL_BUILD" >&2
	export DAXPOOL_NO_BUILD=1
fi

fail() { echo "FAIL: $*" >&2; exit 1; }
say() { echo "=== $*"; }
# A value that no earlier run can have left in a reused backing file.
nonce() { printf '%s-%04x%04x' "$1" $RANDOM $RANDOM; }

# run_pair NAME_A ARGS_A... -- NAME_B ARGS_B...: boot two guests at the same time, wait for
# both, fail if either failed. Each side's arguments are passed to $RUN as they are.
run_pair() {
	local a=() b=() pa pb ra=0 rb=0
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	"$RUN" "${a[@]}" & pa=$!
	"$RUN" "${b[@]}" & pb=$!
	wait $pa || ra=$?
	wait $pb || rb=$?
	[ $ra = 0 ] && [ $rb = 0 ] || fail "two-guest run failed (A status $ra, B status $rb)"
}

# make_image [mktree.py args]: $WORK/tree (every file type), its daxfs image $WORK/image, and
# the tree's manifest $WORK/manifest for guest/lib.sh's expect_tree.
make_image() {
	python3 "$HERE/mktree.py" "$WORK/tree" "$@"
	"$DAXPOOL_BUILD/cli/daxpool" build -q "$WORK/tree" -o "$WORK/image"
	"$DAXPOOL_BUILD/tests/qemu-cxl/fscheck" manifest "$WORK/tree" > "$WORK/manifest"
}
