#!/bin/bash
# one-host.sh: the demo's single-host part: `daxpool create --size 4G` over two emulated CXL
# memdevs (2-way interleave), `load --region 0`, `mount`, every file compared with the source.
. "$(dirname "$0")/lib.sh"
make_image
"$RUN" -t cxl -d 2 -s 2G -m 2G -f "$WORK/mem.raw" -n one-host -i "$WORK/image" -i "$WORK/manifest" "$G/one-host.sh"
