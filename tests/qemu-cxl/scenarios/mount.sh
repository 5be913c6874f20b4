#!/bin/bash
# mount.sh TOPOLOGY [OFFSET [BIG_MiB]]: build an image of a tree with every file type on the
# host, mount it with daxfs from fsdax memory in a guest (at OFFSET inside the device), and
# compare every file's content and metadata with the source (mounted with -o trusted); then
# mount it plainly (no options) and check that it grants no privilege. With BIG_MiB, the tree has a file
# that big and the guest proves that reading it does not use the page cache.
. "$(dirname "$0")/lib.sh"
TOPO=${1:-cxl}
OFFSET=${2:-0}
BIG=${3:-0}
python3 "$HERE/mktree.py" "$WORK/tree" --big "$BIG"
# What an image must not grant unless the mount trusts it: a setuid-root program, a program with
# a file capability (cap_dac_read_search, effective), both copies of fscheck (`fscheck ids`);
# the tree's null device is the device node. And a POSIX ACL that denies user 1000 what the
# mode's group bits (the ACL mask) allow to group 0.
B=$DAXPOOL_BUILD/tests/qemu-cxl/fscheck
mkdir "$WORK/tree/priv" "$WORK/tree/acl"
install -m 4755 "$B" "$WORK/tree/priv/suid"
install -m 0755 "$B" "$WORK/tree/priv/caps"
printf 'for group 0, not for user 1000\n' > "$WORK/tree/acl/secret"
chmod 0640 "$WORK/tree/acl/secret"
python3 - "$WORK/tree" <<'PY'
import os, struct, sys
t = sys.argv[1]
# vfs_cap_data v2, effective: permitted = bit 2 (cap_dac_read_search)
os.setxattr(t + "/priv/caps", "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 2, 0, 0, 0))
# posix_acl_xattr v2: user::rw- user:1000:--- group::r-- mask::r-- other::---
e = lambda tag, perm, id=0xFFFFFFFF: struct.pack("<HHI", tag, perm, id)
acl = struct.pack("<I", 2) + e(1, 6) + e(2, 0, 1000) + e(4, 4) + e(0x10, 4) + e(0x20, 0)
os.setxattr(t + "/acl/secret", "system.posix_acl_access", acl)
PY
"$DAXPOOL_BUILD/cli/daxpool" build -q --label daxfs-test "$WORK/tree" -o "$WORK/image"
"$DAXPOOL_BUILD/tests/qemu-cxl/fscheck" manifest "$WORK/tree" > "$WORK/manifest"
# Image B, stamped over the first one in the guest for the cache-invalidation checks: a file and
# its hard link, a 3 MiB file first used through a mapping, a small file, an empty one.
mkdir -p "$WORK/tree-b/sub"
printf 'image B' > "$WORK/tree-b/b-hello"
head -c $((100 * 1024 + 1)) /dev/urandom > "$WORK/tree-b/a"
ln "$WORK/tree-b/a" "$WORK/tree-b/a-link"
head -c $((3 << 20)) /dev/urandom > "$WORK/tree-b/m"
printf 'c' > "$WORK/tree-b/sub/c"
: > "$WORK/tree-b/empty"
"$DAXPOOL_BUILD/cli/daxpool" build -q "$WORK/tree-b" -o "$WORK/image-b"
"$RUN" -t "$TOPO" -f "$WORK/mem.raw" -n "mount-$TOPO" -m 2G -i "$WORK/image" -i "$WORK/manifest" \
	-i "$WORK/image-b" -e "OFFSET=$OFFSET" "$G/mount.sh"
