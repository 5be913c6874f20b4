#!/bin/bash
# Two CXL memdevs: a 2-way interleaved region, a devdax namespace on it, and the data lands in
# both backing files.
. "$(dirname "$0")/lib.sh"
"$RUN" -t cxl -d 2 -f "$WORK/mem.raw" -n cxl-interleave "$G/interleave.sh"
# 612 bytes written at 0x1f00 cross three 256-byte stripes: both files hold part of the digits,
# exactly one holds the start.
for f in "$WORK/mem.raw" "$WORK/mem.raw.1"; do
	grep -qa "0000000000" "$f" || fail "no stripe of the data in $(basename "$f")"
done
starts=$(grep -la "interleaved-" "$WORK/mem.raw" "$WORK/mem.raw.1" | wc -l)
[ "$starts" = 1 ] || fail "the data's first stripe is in $starts memdev files, want 1"
