#!/usr/bin/env python3
"""poolpeek.py BACKING COMMAND [ARG...]: read a daxpool pool straight from a guest's memory
backing file (`run -f BACKING`), from the host, while the guests run or are paused. The
emulator is coherent, so this is what every guest sees. The layout is docs/pool-format.md's;
one memdev only (no interleave: the pool is one contiguous range of the file).

  find                      the pool's byte offset in BACKING and its size
  entries                   catalog entries in force that are not FREE: slot state gen id offset length name
  wait NAME STATE SECS      until the entry in force named NAME is in STATE (writing, sealed, ...)
  blocks OUT                sha256 of the pool without its host table, per 2 MiB block, into OUT
                            (the host table changes with every heartbeat; everything else changes
                            only by a catalog writer)
  diff OLD NEW              the blocks that differ between two `blocks` files (exit 1 if any)
  copied NAME IMAGE         how many leading bytes of NAME's extent (any state) equal IMAGE's
  overlaps                  entries in force whose extents overlap (exit 1 if any)
"""
import hashlib
import mmap
import os
import struct
import sys
import time

MAGIC = b"DAXPOOL1"
BACKUP_OFF = 0x1FF000
BLOCK = 2 << 20
STATES = {0: "free", 1: "writing", 2: "sealed", 3: "retired"}

_T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    _T.append(c)


def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = _T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


class Pool:
    def __init__(self, path):
        self.f = open(path, "rb")
        self.m = mmap.mmap(self.f.fileno(), 0, prot=mmap.PROT_READ)
        self.base = self._find()
        sb = self.m[self.base:self.base + 256]
        (self.size,) = struct.unpack_from("<Q", sb, 112)
        (self.ht_off,) = struct.unpack_from("<Q", sb, 136)
        self.ht_slots, self.ht_slot_size = struct.unpack_from("<II", sb, 144)
        (self.cat_off,) = struct.unpack_from("<Q", sb, 152)
        self.cat_slots, self.cat_slot_size = struct.unpack_from("<II", sb, 160)
        (self.data_off,) = struct.unpack_from("<Q", sb, 168)

    def _find(self):
        pos = 0
        while True:
            pos = self.m.find(MAGIC, pos)
            if pos < 0:
                raise SystemExit(f"poolpeek: no pool superblock in {self.f.name}")
            sb = self.m[pos:pos + 256]
            if (pos % 4096 == 0 and struct.unpack_from("<I", sb, 252)[0] == crc32c(sb[:252])
                    and self.m[pos + BACKUP_OFF:pos + BACKUP_OFF + 8] == MAGIC):
                return pos
            pos += 1

    def at(self, off, n):
        return self.m[self.base + off:self.base + off + n]

    def entries(self):
        """(slot, state, generation, id, offset, length, name) of every entry in force."""
        cat = self.at(self.cat_off, self.cat_slots * self.cat_slot_size)
        out = []
        for s in range(self.cat_slots):
            best = None
            for c in range(2):
                e = cat[s * self.cat_slot_size + c * 256:][:256]
                if e[:4] != b"DPCE":
                    continue
                st, gen, iid, off, ln = struct.unpack_from("<IQQQQ", e, 4)
                # FREE copies are the bulk; a CRC in pure Python for each would be slow.
                if st != 0 and struct.unpack_from("<I", e, 252)[0] != crc32c(e[:252]):
                    continue
                if best is None or gen > best[2]:
                    name = e[144:208].split(b"\0")[0].decode(errors="replace")
                    best = (s, STATES.get(st, str(st)), gen, iid, off, ln, name)
            if best:
                out.append(best)
        return out

    def blocks(self):
        ht = (self.ht_off, self.ht_off + self.ht_slots * self.ht_slot_size)
        for off in range(0, self.size, BLOCK):
            b = bytearray(self.at(off, BLOCK))
            lo, hi = max(ht[0], off), min(ht[1], off + BLOCK)
            if lo < hi:
                b[lo - off:hi - off] = bytes(hi - lo)
            yield off, hashlib.sha256(b).hexdigest()


def area(p, off):
    if off < p.data_off:
        return "header (superblocks, catalog)"
    for s, st, gen, iid, eo, ln, name in p.entries():
        if st != "free" and eo <= off < eo + ln:
            return f"data, in the extent of '{name}' ({st}, id {iid}, at {eo:#x})"
    return "data, free space"


def main():
    a = sys.argv[1:]
    if len(a) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if a[1] == "diff":
        old = dict(l.split() for l in open(a[2]))
        new = dict(l.split() for l in open(a[3]))
        changed = sorted((int(k, 16) for k in old if old[k] != new.get(k)), key=int)
        p = Pool(a[0])
        for off in changed:
            print(f"changed: pool bytes {off:#x}..{off + BLOCK:#x}: {area(p, off)}")
        return 1 if changed else 0
    p = Pool(a[0])
    cmd = a[1]
    if cmd == "find":
        print(p.base, p.size)
    elif cmd == "entries":
        for e in p.entries():
            if e[1] != "free":
                print("slot %d %s gen %d id %d offset %#x length %#x %s" % e)
    elif cmd == "wait":
        name, state, secs = a[2], a[3], float(a[4])
        deadline = time.monotonic() + secs
        while True:
            if any(e[6] == name and e[1] == state for e in p.entries()):
                return 0
            if time.monotonic() > deadline:
                print(f"poolpeek: no entry '{name}' in state {state} within {secs:g} s", file=sys.stderr)
                return 1
            time.sleep(0.02)
    elif cmd == "blocks":
        with open(a[2], "w") as out:
            for off, h in p.blocks():
                out.write(f"{off:#x} {h}\n")
    elif cmd == "overlaps":
        used = sorted((e for e in p.entries() if e[1] != "free"), key=lambda e: e[4])
        bad = [(a, b) for a, b in zip(used, used[1:]) if b[4] < a[4] + a[5]]
        for a, b in bad:
            print(f"overlap: '{a[6]}' ({a[1]}, {a[4]:#x}+{a[5]:#x}) and '{b[6]}' ({b[1]}, {b[4]:#x}+{b[5]:#x})")
        return 1 if bad else 0
    elif cmd == "copied":
        name, image = a[2], a[3]
        e = [e for e in p.entries() if e[6] == name]
        if not e:
            print(0)
            return 0
        with open(image, "rb") as f:
            img = f.read()
        got = p.at(e[0][4], len(img))
        n = 0
        step = 1 << 16
        while n < len(img) and got[n:n + step] == img[n:n + step]:
            n += step
        n = min(n, len(img))
        while n < len(img) and got[n] == img[n]:
            n += 1
        print(n)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


sys.exit(main())
