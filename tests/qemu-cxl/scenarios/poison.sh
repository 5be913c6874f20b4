#!/bin/bash
# poison.sh: bad blocks in an fsdax device under daxfs (the pmem driver's list, written through
# /sys/block/pmemN/badblocks in the guest) and a memory failure on a mapped page. An image of a
# small tree plus x (4 MiB: 2 MiB PMDs), y (5 pages and a bit), z (3 pages), w (8 pages, for the
# early kill); the files and the checksums of every other regular file go in as references. See
# guest/poison.sh.
. "$(dirname "$0")/lib.sh"
python3 "$HERE/mktree.py" "$WORK/tree"
head -c $((4 << 20)) /dev/urandom > "$WORK/tree/x"
head -c $((5 * 4096 + 100)) /dev/urandom > "$WORK/tree/y"
head -c $((3 * 4096)) /dev/urandom > "$WORK/tree/z"
head -c $((8 * 4096)) /dev/urandom > "$WORK/tree/w"
"$DAXPOOL_BUILD/cli/daxpool" build -q "$WORK/tree" -o "$WORK/image"
mkdir "$WORK/ref"
cp "$WORK/tree/x" "$WORK/tree/y" "$WORK/tree/z" "$WORK/tree/w" "$WORK/ref/"
(cd "$WORK/tree" && find . -type f ! -name x ! -name y ! -name z ! -name w -print0 | sort -z |
	xargs -0 sha256sum) > "$WORK/ref/sums"
"$RUN" -t nvdimm -f "$WORK/mem.raw" -n "poison" -i "$WORK/image" -i "$WORK/ref" "$G/poison.sh"
