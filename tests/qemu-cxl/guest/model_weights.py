#!/usr/bin/python3
# Model weights mapped from daxfs, read with numpy (guest/model-weights.sh, in the systemd guest;
# docs/model-weights.md). Two commands:
#   model_weights.py make OUT.npy MIB       a float32 matrix of MIB MiB (seeded normal values),
#                                           saved with np.save; prints the sha256 of its data
#   model_weights.py first-use PATH SHA256 [--expect-cache-growth]
#       drops the clean page cache, then times the first use of PATH: np.load(mmap_mode='r')
#       (open + header read + mmap) and one full pass over the data (its sha256). Checks the
#       data's sha256 equals SHA256 and that /proc/meminfo's Cached + Buffers grew by less than
#       1/16 of the file's size (a DAX mapping adds no page cache); with --expect-cache-growth the
#       opposite: at least 90 % of the file's size (what a page-cache file system shows, proving
#       the measurement can fail). Prints one line "first-use PATH SECONDS CACHE_GROWTH_BYTES".
# Exit status: 0 checks passed, 1 a check failed, 2 usage.
import hashlib
import os
import sys
import time

import numpy as np


def cache_bytes():
    """Cached + Buffers of /proc/meminfo, in bytes."""
    v = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, rest = line.split(":", 1)
            v[k] = int(rest.split()[0]) * 1024
    return v["Cached"] + v["Buffers"]


def data_sha256(arr):
    # The whole array, as its bytes in memory order: one full pass over the mapping.
    return hashlib.sha256(arr.reshape(-1).view(np.uint8)).hexdigest()


def make(out, mib):
    n = int(mib) * 1024 * 1024 // 4
    side = int(n ** 0.5)
    rng = np.random.default_rng(20240614)
    w = rng.standard_normal((side, n // side), dtype=np.float32)
    np.save(out, w)
    print(data_sha256(w))
    return 0


def first_use(path, want, expect_growth):
    size = os.stat(path).st_size
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")
    before = cache_bytes()
    t0 = time.monotonic()
    arr = np.load(path, mmap_mode="r")
    t1 = time.monotonic()
    got = data_sha256(arr)
    secs = time.monotonic() - t0
    growth = cache_bytes() - before
    print(f"first-use {path} {secs:.3f} {growth}")
    print(f"  {path}: {size} bytes, {arr.shape} {arr.dtype}, first use {secs:.3f} s (open + header + mmap "
          f"{t1 - t0:.3f} s, full pass {secs - (t1 - t0):.3f} s), Cached+Buffers {growth / 2**20:+.1f} MiB")
    ok = True
    if got != want:
        print(f"FAIL: {path}: data sha256 {got}, the source's is {want}")
        ok = False
    bound = size // 16
    if expect_growth:
        if growth < size * 9 // 10:
            print(f"FAIL: {path}: Cached+Buffers grew by {growth} bytes, expected at least 90 % of {size} "
                  f"(a page-cache file system)")
            ok = False
        else:
            print(f"  {path}: page cache grew by {growth * 100 // size} % of the file: the zero-growth check "
                  f"(< {bound} bytes) fails here, as it must")
    elif growth >= bound:
        print(f"FAIL: {path}: Cached+Buffers grew by {growth} bytes, want less than {bound} (1/16 of the file)")
        ok = False
    return 0 if ok else 1


def main(argv):
    if len(argv) == 4 and argv[1] == "make":
        return make(argv[2], argv[3])
    if len(argv) in (4, 5) and argv[1] == "first-use":
        if len(argv) == 5 and argv[4] != "--expect-cache-growth":
            return usage()
        return first_use(argv[2], argv[3], len(argv) == 5)
    return usage()


def usage():
    print("usage: model_weights.py make OUT.npy MIB | first-use PATH SHA256 [--expect-cache-growth]",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
