#!/bin/bash
# boot-mount.sh: util-linux mount(8) / umount(8) of pool images through mount.daxfs / umount.daxfs
# (mount -t daxfs POOL/IMAGE, an fstab line), each mount recorded and its record removed; a
# record whose mount is gone (umount -i bypasses the helper) removed by the agent's next beat.
. "$(dirname "$0")/lib.sh"
make_image
"$RUN" -t cxl -s 1G -m 2G -f "$WORK/mem.raw" -n boot-mount -i "$WORK/image" -i "$WORK/manifest" "$G/boot-mount.sh"
