#!/usr/bin/env python3
"""corrupt.py IMAGE OUTDIR: write corrupted variants of a daxfs image (docs/format.md) for the
kernel's bad-image tests, one file per kind. Semantic corruptions recompute meta_crc and sb_crc
so that they reach the validator's structural checks instead of stopping at a checksum."""
import os, struct, sys

img = bytearray(open(sys.argv[1], "rb").read())
out = sys.argv[2]
os.makedirs(out, exist_ok=True)

T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ (0x82F63B78 & -(c & 1))
    T.append(c)

def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF

def u(fmt, b, off):
    return struct.unpack_from(fmt, b, off)[0]

total, icount = u("<Q", img, 16), u("<I", img, 32)
meta_off, meta_size, dirent_off = u("<Q", img, 56), u("<Q", img, 64), u("<Q", img, 72)

def inode(ino):
    return meta_off + (ino - 1) * 64

def mode(b, ino):
    return u("<H", b, inode(ino))

def find(pred):
    return next(i for i in range(1, icount + 1) if pred(i))

def reseal(b):
    struct.pack_into("<I", b, 196, crc32c(b[meta_off:meta_off + meta_size]))
    struct.pack_into("<I", b, 252, crc32c(b[0:252]))
    return b

def variant(name, fn, seal=True):
    b = bytearray(img)
    b = fn(b) or b
    if seal:
        reseal(b)
    open(os.path.join(out, name), "wb").write(b)

S_IFMT, S_IFREG, S_IFDIR = 0o170000, 0o100000, 0o040000
reg = find(lambda i: mode(img, i) & S_IFMT == S_IFREG and u("<Q", img, inode(i) + 16) > 0)
subdir = find(lambda i: i > 1 and mode(img, i) & S_IFMT == S_IFDIR)
bigdir = max((i for i in range(1, icount + 1) if mode(img, i) & S_IFMT == S_IFDIR),
             key=lambda i: u("<Q", img, inode(i) + 16))

variant("truncated", lambda b: b[: total // 2], seal=False)
variant("bad-magic", lambda b: b.__setitem__(0, b[0] ^ 0xFF), seal=False)
variant("bad-sb-crc", lambda b: b.__setitem__(130, b[130] ^ 0x01), seal=False)
variant("bad-meta-crc", lambda b: b.__setitem__(meta_off + 5, b[meta_off + 5] ^ 0x01), seal=False)
variant("extent-past-end", lambda b: struct.pack_into("<Q", b, inode(reg) + 40, total))
variant("huge-size", lambda b: struct.pack_into("<Q", b, inode(reg) + 16, 1 << 62))
variant("dir-cycle", lambda b: struct.pack_into("<I", b, inode(subdir) + 36, subdir))
variant("bad-nlink", lambda b: struct.pack_into("<I", b, inode(reg) + 4, 7))
variant("total-size-huge", lambda b: struct.pack_into("<Q", b, 16, 1 << 60))

def str_size_huge(b):
    # A string pool of 126 MiB in a 128 MiB image (both inside the device), superblock checksum
    # valid: the kernel must refuse it from the superblock alone, before sizing its metadata
    # snapshot by it (meta_size no longer matches the tables).
    struct.pack_into("<Q", b, 16, 128 << 20)
    struct.pack_into("<Q", b, 96, 126 << 20)
variant("str-size-huge", str_size_huge)

def unsort(b):
    first = dirent_off + u("<Q", b, inode(bigdir) + 40) * 16
    e0, e1 = bytes(b[first:first + 16]), bytes(b[first + 16:first + 32])
    b[first:first + 16], b[first + 16:first + 32] = e1, e0
variant("unsorted-dir", unsort)

def dirent_oob(b):
    first = dirent_off + u("<Q", b, inode(bigdir) + 40) * 16
    struct.pack_into("<I", b, first, icount + 5)
variant("dirent-ino-out-of-range", dirent_oob)

# Not corrupt: a valid superblock whose page_sizes lists only 64 KiB pages (its extents are not
# 64 KiB aligned: fsck says so, but the kernel refuses it earlier, for its 4 KiB pages: EINVAL).
variant("page-sizes-64k", lambda b: struct.pack_into("<I", b, 36, 65536))
