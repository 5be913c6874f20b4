#!/usr/bin/env python3
"""mktree.py DIR [--big MiB]: a source tree with every file type daxfs stores, for guest tests.

Regular files (empty, small, page-crossing, 3 MiB, optionally a big one), nested directories, a
300-entry directory, symlinks (relative, absolute, 1000-byte target), a hard-linked file,
character and block devices, a FIFO, a socket, xattrs (user.*, trusted.*, security.capability),
setuid/sticky modes, other owners, non-ASCII and 255-byte names, and a busybox rootfs (bin/)
to run programs from. Needs root (devices, owners, trusted.* xattrs). Content is random but
the structure is fixed."""
import os, random, shutil, socket, stat, struct, sys

root = sys.argv[1]
big = int(sys.argv[sys.argv.index("--big") + 1]) if "--big" in sys.argv else 0
rnd = random.Random(int.from_bytes(os.urandom(8), "little"))
os.makedirs(root)

def write(path, data, mode=0o644):
    p = os.path.join(root, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    os.chmod(p, mode)
    return p

write("empty", b"")
write("hello.txt", b"hello, daxfs\n")
write("page-plus-one", rnd.randbytes(4097))
write("data/three-mib", rnd.randbytes(3 << 20))
if big:
    write("data/big", rnd.randbytes(big << 20))
write("data/nested/deeper/leaf", b"leaf\n", 0o600)
for i in range(300):
    write(f"many/entry-{i:04d}", f"{i}\n".encode())
os.symlink("hello.txt", os.path.join(root, "link-rel"))
os.symlink("/etc/passwd", os.path.join(root, "link-abs"))
os.symlink("x" * 1000, os.path.join(root, "link-long"))
os.symlink("data/nested", os.path.join(root, "link-dir"))
hl = write("hard/one", b"hard linked\n")
os.link(hl, os.path.join(root, "hard/two"))
os.link(hl, os.path.join(root, "hard-three"))
os.mknod(os.path.join(root, "null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
os.mknod(os.path.join(root, "loop0"), 0o660 | stat.S_IFBLK, os.makedev(7, 0))
os.mkfifo(os.path.join(root, "fifo"), 0o644)
s = socket.socket(socket.AF_UNIX)
s.bind(os.path.join(root, "sock"))
s.close()
x = write("xattrs", b"with attributes\n")
os.setxattr(x, "user.comment", b"a user attribute")
os.setxattr(x, "user.empty", b"")
os.setxattr(x, "trusted.overlay.opaque", b"y")
# vfs_cap_data v2: magic_etc, then permitted/inheritable low and high words (cap_net_raw+ep).
os.setxattr(x, "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 13, 0, 0, 0))
os.setxattr(os.path.join(root, "data"), "user.dir", b"on a directory")
write("setuid", b"#!/bin/sh\n", 0o4755)
os.makedirs(os.path.join(root, "sticky"))
os.chmod(os.path.join(root, "sticky"), 0o1777)
o = write("owned", b"by someone else\n")
os.lchown(o, 1000, 1001)
os.lchown(os.path.join(root, "link-rel"), 1000, 1000)
write("ünïcödé-名前", b"non-ASCII name\n")
write("n" * 255, b"longest name\n")
bb = shutil.which("busybox") or "/bin/busybox"
write("bin/busybox", open(bb, "rb").read(), 0o755)
for a in ("sh", "echo", "cat", "ls", "md5sum"):
    os.symlink("busybox", os.path.join(root, "bin", a))
os.utime(os.path.join(root, "hello.txt"), ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))
