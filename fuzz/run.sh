#!/bin/bash
# fuzz/run.sh SECONDS [WORKDIR] - build the libFuzzer target with clang (ASan + UBSan) and fuzz
# the validator and reader for SECONDS, starting from the seed corpus in fuzz/corpus/. Exits
# non-zero on any crash, leak, sanitizer report or build failure. New inputs go to WORKDIR
# (default: a temporary directory), never into the repository.
set -euo pipefail
SECS=${1:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$HERE")
WORK=${2:-}
if [ -z "$WORK" ]; then
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK/corpus" "$WORK/obj" "$WORK/artifacts"
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all -g -O1)
for c in validate crc32c; do
	clang -std=gnu11 -Wall -Wextra -Werror "${SAN[@]}" -fsanitize=fuzzer-no-link -I"$TOP" \
		-c "$TOP/lib/format/$c.c" -o "$WORK/obj/$c.o"
done
clang++ -std=c++20 -Wall -Wextra -Werror "${SAN[@]}" -fsanitize=fuzzer -I"$TOP" \
	"$HERE/fuzz_image.cpp" "$TOP/lib/daxfs/image.cpp" "$TOP/lib/daxfs/fsck.cpp" \
	"$TOP/lib/daxfs/digest.cpp" "$TOP"/lib/util/*.cpp "$WORK/obj/validate.o" "$WORK/obj/crc32c.o" \
	-lxxhash -luuid -o "$WORK/fuzz_image"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$WORK/fuzz_image" -max_total_time="$SECS" -max_len=262144 -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix="$WORK/artifacts/" -print_final_stats=1 "$WORK/corpus" "$HERE/corpus"
