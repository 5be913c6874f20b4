#!/bin/bash
# daxfs.ko loads in the guest kernel, registers "daxfs", and unloads.
. "$(dirname "$0")/lib.sh"
"$RUN" -t none -n module "$G/module.sh"
