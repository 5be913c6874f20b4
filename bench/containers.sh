#!/bin/bash
# bench/containers.sh [ROUNDS]: P7, RAM per additional container and per additional host, daxfs
# against hosts with their own copy of the image (ext4 without DAX, tmpfs). Runs the suite's
# containers scenario (tests/qemu-cxl/scenarios/containers.sh, guest side
# guest/containers-test.sh, whose checks must all pass here too) ROUNDS (default 3) times in each
# mode: systemd guests (QEMU TCG, Debian 6.12, 2 GiB, NVDIMM) starting systemd-nspawn containers
# over overlayfs (a tmpfs upper each), each running python3 from a Debian minbase image that reads
# 16 MiB of its files and stays running; caches dropped before each count, growth read while all
# of them run (docs/containers.md, "Memory: what is measured").
#   one (NS="1 16", TMPFS_COPY=1): one host; 1, then 16 containers over the daxfs mount, over an
#       ext4 copy on a RAM disk (brd, no DAX) and over a tmpfs copy (what the copy takes printed);
#   two (NS=16): two hosts at once on one memory, 16 containers each over the same daxfs image.
# Result lines, MiB: used RAM growth (MemTotal - MemFree: page cache, Shmem (the uppers, tmpfs),
# the containers' processes, kernel) and page-cache growth (Cached + Buffers - Shmem) per file
# system and count; derived per round:
#   ram_per_ctr_mib   (used growth at 16 - at 1) / 15, per file system (one host)
#   ram_per_host_mib  a host running 16 containers: daxfs = each two-mode host's used growth (the
#                     image is in the shared memory, no host holds a copy); ext4 = the one-mode
#                     ext4 used growth at 16 (its copy on its own disk, which is not counted);
#                     tmpfs = the RAM the tmpfs copy took + the one-mode tmpfs used growth at 16.
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-3}
SC=$TOP/tests/qemu-cxl/scenarios/containers.sh
: >"$WORK/out"
for r in $(seq "$ROUNDS"); do
	echo "=== containers.sh: round $r: one host, 1 and 16 containers over daxfs, ext4, tmpfs"
	NS="1 16" TMPFS_COPY=1 "$SC" one nvdimm 2>&1 | tee "$WORK/one.log" || fail "round $r: containers.sh one failed"
	echo "=== containers.sh: round $r: two hosts on one memory, 16 containers each over daxfs"
	NS=16 "$SC" two nvdimm 2>&1 | tee "$WORK/two.log" || fail "round $r: containers.sh two failed"
	python3 - "$r" "$WORK/one.log" "$WORK/two.log" <<'PY' | tee -a "$WORK/out" || fail "round $r: result lines missing"
import re, sys
r, one, two = sys.argv[1:4]
out = []
def res(case, metric, value, **kw):
    extra = "".join(f" {k}={v}" for k, v in kw.items())
    out.append(f"RESULT part=P7 case={case} metric={metric} round={r} value={value:.2f}{extra}")
def fields(line):
    return {k: float(v) for k, v in re.findall(r"(\w+)=(-?[0-9.]+)", line)}
used, copy, image, read = {}, None, None, None
for line in open(one, errors="replace"):
    m = re.search(r"result: (daxfs|ext4|tmpfs) (n=.*)", line)
    if m:
        f = fields(m.group(2))
        n = int(f["n"])
        used[m.group(1), n] = f["used_growth"]
        res(m.group(1), "used_mib", f["used_growth"] / 1024, n=n)
        res(m.group(1), "cache_mib", f["pagecache_growth"] / 1024, n=n)
        res(m.group(1), "start_s", f["start"], n=n)
        read = f["read"]
        continue
    m = re.search(r"result: tmpfs copy (.*)", line)
    if m:
        copy = fields(m.group(1))
        res("tmpfs-copy", "size_mib", copy["size"] / 1024)
        res("tmpfs-copy", "used_mib", copy["used_growth"] / 1024)
        continue
    m = re.search(r"pool 'ctr', image ([0-9]+) bytes", line)
    if m:
        image = int(m.group(1))
missing = [f"{k} n={n}" for k in ("daxfs", "ext4", "tmpfs") for n in (1, 16) if (k, n) not in used]
if missing or copy is None or image is None or read is None:
    sys.exit(f"containers.sh: no result for {', '.join(missing) or 'the tmpfs copy, image or bytes read'} in {one}")
res("image", "image_mib", image / 1048576)
res("containers", "read_mib", read / 1024)
for k in ("daxfs", "ext4", "tmpfs"):
    res(k, "ram_per_ctr_mib", (used[k, 16] - used[k, 1]) / 15 / 1024)
hosts = 0
for line in open(two, errors="replace"):
    m = re.search(r"result: (\S+) daxfs (n=.*)", line)
    if m:
        f = fields(m.group(2))
        host = m.group(1)
        res("daxfs-two", "used_mib", f["used_growth"] / 1024, n=int(f["n"]), host=host)
        res("daxfs-two", "cache_mib", f["pagecache_growth"] / 1024, n=int(f["n"]), host=host)
        res("daxfs-two", "start_s", f["start"], n=int(f["n"]), host=host)
        res("daxfs", "ram_per_host_mib", f["used_growth"] / 1024, host=host)
        hosts += 1
if hosts != 2:
    sys.exit(f"containers.sh: {hosts} host result(s) in {two}, not 2")
res("ext4", "ram_per_host_mib", used["ext4", 16] / 1024)
res("tmpfs", "ram_per_host_mib", (copy["used_growth"] + used["tmpfs", 16]) / 1024)
print("\n".join(out))
PY
done
summarize "$WORK/out"
