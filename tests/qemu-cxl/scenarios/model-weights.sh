#!/bin/bash
# model-weights.sh: model weights in a daxfs image in a CXL pool, mapped with numpy in a systemd
# guest whose root has Debian's python3-numpy (systemd/packages): the bytes equal the source's,
# no page-cache growth, and time to first use against the same file on ext4, printed as a ratio
# (guest/model-weights.sh, docs/model-weights.md).
. "$(dirname "$0")/lib.sh"
ROOT=$WORK/root.cpio
"$HERE/systemd/mkinitramfs" "$ROOT"
"$RUN" --systemd "$ROOT" -t cxl -s 512M -m 2G -f "$WORK/mem.raw" -n weights -i "$G/model_weights.py" \
	-e MIB="${MIB:-64}" "$G/model-weights.sh"
