#!/bin/bash
# fuzz/make-corpus.sh BUILD_DIR - regenerate the seed images in fuzz/corpus/ with daxpool build.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DAXPOOL=$1/cli/daxpool
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export SOURCE_DATE_EPOCH=1700000000
mkdir -p "$T/min" "$T/types/d/e" "$T/links"
"$DAXPOOL" build -q "$T/min" -o "$HERE/corpus/empty-root.img"
echo hi > "$T/types/f"
: > "$T/types/empty"
ln -s f "$T/types/l"
mkfifo "$T/types/p"
mknod "$T/types/c" c 1 3
mknod "$T/types/b" b 7 0
echo deep > "$T/types/d/e/g"
python3 -c "import os; os.setxattr('$T/types/f', 'user.a', b'1'); os.setxattr('$T/types/f', 'trusted.b', b'22'); os.setxattr('$T/types/d/e/g', 'security.capability', bytes([1,0,0,2]+[0]*16))"
"$DAXPOOL" build -q "$T/types" -o "$HERE/corpus/all-types.img"
echo x > "$T/links/a"
ln "$T/links/a" "$T/links/b"
for i in $(seq 1 40); do ln -s "target-$i" "$T/links/s$i"; done
"$DAXPOOL" build -q "$T/links" -o "$HERE/corpus/links.img"
ls -la "$HERE/corpus"
