#!/bin/bash
# pool.sh TOPOLOGY: provisioning and one host end to end, through daxpool only.
# cxl: two 2 GiB memdevs; `daxpool create --size 4G` must make a 2-way interleaved region.
# nvdimm: one 1 GiB NVDIMM (label-less at first), the pool in fsdax mode.
# Boot 1 creates the pool, loads and mounts an image, and checks the refusals; boot 2, on the
# same backing files, attaches, finds the pool and the image by the memory alone, mounts again,
# then unloads and destroys; on CXL it then lays pools with create --device on a devdax and an
# fsdax namespace made with cxl/ndctl. A third guest without CXL or NVDIMM checks that create says so.
. "$(dirname "$0")/lib.sh"
TOPO=${1:-cxl}
make_image
case $TOPO in
cxl) args=(-t cxl -d 2 -s 2G -m 2G -e "POOL_SIZE=4G" -e "MODE=devdax") ;;
nvdimm) args=(-t nvdimm -s 1G -m 2G -e "POOL_SIZE=512M" -e "MODE=fsdax") ;;
esac
say "boot 1: create, load, mount"
"$RUN" "${args[@]}" -f "$WORK/mem.raw" -n "pool-$TOPO-1" -M "pool-$TOPO" -i "$WORK/image" -i "$WORK/manifest" \
	-e PHASE=create "$G/pool.sh"
say "boot 2: attach, mount again, unload, destroy"
"$RUN" "${args[@]}" -f "$WORK/mem.raw" -n "pool-$TOPO-2" -M "pool-$TOPO" -i "$WORK/image" -i "$WORK/manifest" \
	-e PHASE=attach "$G/pool.sh"
if [ "$TOPO" = cxl ]; then
	say "a host without CXL or NVDIMM"
	"$RUN" -t none -n "pool-none" -e PHASE=none "$G/pool.sh"
fi
