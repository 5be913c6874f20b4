#!/bin/bash
# reboot.sh TOPOLOGY: a second boot on the same backing file finds the namespace (same UUID)
# and the data the first boot wrote.
. "$(dirname "$0")/lib.sh"
TOPO=${1:-cxl}
N=$(nonce reboot)
"$RUN" -t "$TOPO" -f "$WORK/mem.raw" -n "$TOPO-boot1" -o "$WORK/out" -e BOOT=1 -e "NONCE=$N" "$G/reboot.sh"
UUID=$(cat "$WORK/out/uuid")
[ -n "$UUID" ] || fail "boot 1 reported no namespace uuid"
"$RUN" -t "$TOPO" -f "$WORK/mem.raw" -n "$TOPO-boot2" -e BOOT=2 -e "NONCE=$N" -e "UUID=$UUID" "$G/reboot.sh"
