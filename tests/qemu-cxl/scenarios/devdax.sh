#!/bin/bash
# devdax.sh TOPOLOGY: daxfs images in a device-dax instance, mounted by physical range.
. "$(dirname "$0")/lib.sh"
TOPO=${1:-cxl}
make_image
# data_off: superblock bytes 104..111 (docs/format.md)
# The big file whose mappings are counted: 64 MiB on NVDIMM, 16 MiB on CXL, whose emulated memory
# QEMU serves a load at a time (each pass over 64 MiB took 11-13 s under TCG; bench/mmap-devdax.sh
# measures 64 MiB on both).
case $TOPO in cxl) BIG_MIB=16 ;; *) BIG_MIB=64 ;; esac
DATA_OFF=$(od -An -t u8 -j 104 -N 8 "$WORK/image" | tr -d ' ')
"$RUN" -t "$TOPO" -f "$WORK/mem.raw" -n "devdax-$TOPO" -i "$WORK/image" -i "$WORK/manifest" \
	-e "DATA_OFF=$DATA_OFF" -e "BIG_MIB=$BIG_MIB" "$G/devdax.sh"
