#!/bin/bash
# cxl list shows mem0; a region, a devdax and an fsdax namespace are created; daxpool sees them.
. "$(dirname "$0")/lib.sh"
"$RUN" -t cxl -f "$WORK/mem.raw" -n cxl-smoke "$G/smoke.sh"
