#!/bin/bash
# containers.sh one|two [nvdimm|cxl]: containers, many at once, from one copy of their image in
# DAX memory (docs/containers.md). NVDIMM by default: under TCG, QEMU 7.2's CXL type-3 memory is
# emulated device memory, and code executed in place from it (python3 and its libraries, mapped
# from daxfs) is fetched through the device model instruction by instruction: one container
# took 400 s to start on CXL; NVDIMM memory is plain guest RAM to QEMU. The daxfs paths (DAX
# mappings, no page cache) are the same on both. The image: a Debian bookworm minbase root with python3-minimal made with
# mmdebstrap, as an OCI image layout made with umoci (mkctrimage, cached in .cache/ctr-image/),
# turned into a daxfs image by `daxpool build --oci`. In systemd guests (Debian's systemd as PID
# 1, systemd-nspawn from systemd-container), containers with their own tmpfs upper layers over
# the image's daxfs mount run python3 from it (guest/containers.sh, guest/containers-test.sh).
#   one: one host; N = 1, 4, 16 containers over daxfs, then over an ext4 copy: page cache
#        compared with the bytes the containers read; `daxpool status` counts one host.
#        Env NS: the counts (default 1 4 16); TMPFS_COPY=1: a tmpfs copy as well (bench/containers.sh).
#   two: two hosts at once on one memory, 16 containers each over the same copy; `daxpool
#        status` on each counts two hosts and one image's worth of memory saved.
. "$(dirname "$0")/lib.sh"
MODE=${1:-one}
TOPO=${2:-nvdimm}
OCI=$("$HERE/mkctrimage")
"$DAXPOOL_BUILD/cli/daxpool" build --oci "$OCI:bookworm" -o "$WORK/ctr.daxfs"
IMGSIZE=$(stat -c %s "$WORK/ctr.daxfs")
ROOT=$WORK/root.cpio
"$HERE/systemd/mkinitramfs" "$ROOT"
common=(--systemd "$ROOT" -t "$TOPO" -s 512M -m 2G -T 600 -f "$WORK/mem.raw" -i "$G/containers.sh" -i "$G/ctr_read.py"
	-e "IMGSIZE=$IMGSIZE")
case $MODE in
one)
	"$RUN" "${common[@]}" -n ctr-one -i "$WORK/ctr.daxfs" -e ROLE=one -e "NS=${NS:-1 4 16}" \
		-e "TMPFS_COPY=${TMPFS_COPY:-}" "$G/containers-test.sh"
	;;
two)
	mkdir -p "$WORK/sig"
	run_pair "${common[@]}" -o "$WORK/sig" -n ctr-a -i "$WORK/ctr.daxfs" -e ROLE=A -e PEER=ctr-b -e "NS=${NS:-16}" \
		"$G/containers-test.sh" \
		-- "${common[@]}" -o "$WORK/sig" -n ctr-b -e ROLE=B -e PEER=ctr-a -e "NS=${NS:-16}" "$G/containers-test.sh"
	;;
*) fail "usage: containers.sh one|two" ;;
esac
