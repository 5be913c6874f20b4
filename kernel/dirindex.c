// SPDX-License-Identifier: GPL-2.0-only
/*
 * dirindex.c - a hash index over a big directory's entries, built in kernel memory at the first
 * lookup in that directory and kept until umount.
 *
 * A directory's entries are sorted by name (docs/format.md), so a lookup can be a binary search
 * over the snapshot; in a directory of 100,000 entries that touches 17 entries and 17 names
 * spread over the snapshot's pages, the larger part of a cold lstat's cost in the filesystem
 * itself. For a directory of at least DAXFS_DIR_INDEX_MIN entries the first lookup builds an
 * open-addressing table (linear probing, at most 80% full) of (name hash, entry index) pairs,
 * 8 bytes a slot, 10 to 20 bytes per entry (a power of two of slots, at least 1.25 per
 * entry); later lookups hash the name once and compare one
 * name in the common case. The table is made from the validated snapshot (nothing reads the
 * shared memory), is immutable once published in the mount's xarray (keyed by the directory's
 * inode number, so it survives the directory's inode being evicted: a cold lookup after
 * drop_caches finds it) and freed at umount. The on-media format does not change. If the table
 * cannot be allocated, or a probe sequence gets longer than DAXFS_DIR_PROBE_MAX while building
 * it, the directory stays on binary searches (remembered: the build is not retried).
 *
 * Hostile images: the names come from memory other hosts write. The hash is siphash with a
 * random key per mount, so an image cannot be crafted to collide (which would make the build
 * quadratic); the probe cap bounds the build anyway. One build at a time per mount (a mutex;
 * concurrent first lookups of a directory wait for it instead of each allocating a table).
 */
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include "daxfs.h"

/* Fewer entries than this: a binary search touches at most 7 of them. */
#define DAXFS_DIR_INDEX_MIN	128
/* A longer probe sequence at build time: the directory keeps binary searches. */
#define DAXFS_DIR_PROBE_MAX	64
/* In the xarray for a directory whose index could not be built. */
#define DAXFS_DIR_NO_INDEX	xa_mk_value(0)

struct daxfs_dir_slot {
	u32 hash;
	u32 entry;	/* entry index + 1; 0: empty */
};

struct daxfs_dir_index {
	const struct daxfs_dirent *de;	/* the directory's entries in the snapshot */
	u32 mask;
	struct daxfs_dir_slot slot[];
};

static u32 daxfs_dir_hash(struct daxfs_sb_info *sbi, const u8 *name, u32 len)
{
	return (u32)siphash(name, len, &sbi->dir_key);
}

void daxfs_dir_index_init(struct daxfs_sb_info *sbi)
{
	xa_init(&sbi->dir_index);
	mutex_init(&sbi->dir_index_lock);
	get_random_bytes(&sbi->dir_key, sizeof(sbi->dir_key));
}

static struct daxfs_dir_index *daxfs_dir_index_build(struct daxfs_sb_info *sbi,
						     const struct daxfs_dirent *de, u64 count)
{
	struct daxfs_dir_index *idx;
	unsigned long slots;
	u64 i;

	if (count > U32_MAX / 2)
		return NULL;
	slots = roundup_pow_of_two(count + count / 4);
	idx = kvzalloc(struct_size(idx, slot, slots), GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	if (!idx)
		return NULL;
	idx->de = de;
	idx->mask = slots - 1;
	for (i = 0; i < count; i++) {
		u32 h = daxfs_dir_hash(sbi, daxfs_str(sbi, le64_to_cpu(de[i].name_off)),
				       le16_to_cpu(de[i].name_len));
		u32 s = h & idx->mask, probes = 0;

		while (idx->slot[s].entry) {
			if (++probes > DAXFS_DIR_PROBE_MAX) {
				kvfree(idx);
				return NULL;
			}
			s = (s + 1) & idx->mask;
		}
		idx->slot[s].hash = h;
		idx->slot[s].entry = i + 1;
		if (!(i & 4095))
			cond_resched();
	}
	return idx;
}

/*
 * The directory's index, built and published if it has none yet; NULL: binary search. The
 * in-core inode caches it in i_private (the mount's xarray owns it), so a lookup in a directory
 * whose inode is in memory touches neither the xarray nor the directory's inode record.
 */
static struct daxfs_dir_index *daxfs_dir_index(struct daxfs_sb_info *sbi, struct inode *dir,
					       const struct daxfs_dirent *de, u64 count)
{
	struct daxfs_dir_index *idx;
	void *old;

	if (count < DAXFS_DIR_INDEX_MIN)
		return NULL;
	idx = xa_load(&sbi->dir_index, dir->i_ino);
	if (!idx) {
		mutex_lock(&sbi->dir_index_lock);
		idx = xa_load(&sbi->dir_index, dir->i_ino);	/* built while we waited? */
		if (!idx) {
			idx = daxfs_dir_index_build(sbi, de, count);
			/* A failure is remembered (no retry per lookup); if even that cannot be
			 * stored, the next lookup tries again. */
			old = xa_store(&sbi->dir_index, dir->i_ino, idx ?: DAXFS_DIR_NO_INDEX,
				       GFP_KERNEL);
			if (xa_is_err(old)) {
				kvfree(idx);
				idx = NULL;
			}
		}
		mutex_unlock(&sbi->dir_index_lock);
	}
	if (!idx || xa_is_value(idx))
		return NULL;
	smp_store_release(&dir->i_private, idx);
	return idx;
}

/*
 * The index in the mount's dirent table of the entry named name in the directory dir, or -1 if
 * there is none. The entries are the validated snapshot's: sorted, names unique and inside the
 * string pool.
 */
s64 daxfs_dir_find(struct inode *dir, const u8 *name, u32 len)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(dir->i_sb);
	struct daxfs_dir_index *idx = smp_load_acquire(&dir->i_private);
	const struct daxfs_dirent *de = NULL;
	const struct daxfs_inode *di;
	u64 lo = 0, hi = 0;

	if (!idx) {
		di = daxfs_di(dir);
		de = sbi->dirents + le64_to_cpu(di->data);
		hi = le64_to_cpu(di->size);
		idx = daxfs_dir_index(sbi, dir, de, hi);
	}
	if (idx) {
		u32 h = daxfs_dir_hash(sbi, name, len), s = h & idx->mask, e;

		de = idx->de;

		while ((e = idx->slot[s].entry)) {
			if (idx->slot[s].hash == h &&
			    !daxfs_name_cmp(name, len, daxfs_str(sbi, le64_to_cpu(de[e - 1].name_off)),
					    le16_to_cpu(de[e - 1].name_len)))
				return de - sbi->dirents + e - 1;
			s = (s + 1) & idx->mask;
		}
		return -1;
	}
	while (lo < hi) {
		u64 mid = lo + (hi - lo) / 2;
		int c = daxfs_name_cmp(name, len, daxfs_str(sbi, le64_to_cpu(de[mid].name_off)),
				       le16_to_cpu(de[mid].name_len));

		if (!c)
			return de - sbi->dirents + mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

void daxfs_dir_index_free(struct daxfs_sb_info *sbi)
{
	struct daxfs_dir_index *idx;
	unsigned long ino;

	xa_for_each(&sbi->dir_index, ino, idx)
		if (!xa_is_value(idx))
			kvfree(idx);
	xa_destroy(&sbi->dir_index);
}
