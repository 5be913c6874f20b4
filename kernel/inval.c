// SPDX-License-Identifier: GPL-2.0-only
/*
 * inval.c - dropping this host's stale cache lines of the image before they are served.
 *
 * Why: CXL memory shared by several hosts is not kept coherent with the other hosts' caches.
 * Memory sources are mapped write-back (the pmem driver's mapping for fsdax, memremap(WB) for
 * device-dax and phys=), so lines this host read earlier - an older image at the same offset,
 * the pool's zeroes, a mount of the previous occupant - can still sit in its caches after
 * another host stamped a new image there and flushed it to the memory; a mount would then
 * validate and serve stale bytes. The writer flushes its lines out (docs/pool-format.md); a
 * reader invalidates its own before it reads (docs/multihost.md). Clean lines are simply
 * dropped: daxfs never writes the memory. dma-bufs are ordinary, coherent host memory and need
 * nothing. On an emulator (the guest tests) caches are coherent and the difference cannot be
 * observed: the counters below are what the tests check.
 *
 * When, so that a mount costs the same whatever the image's size (docs/daxfs.md, "Caches"):
 * - at mount, the superblock's page and then the metadata, before each is copied (super.c);
 * - each regular file's extent (its whole pages) once per mount, before its first byte is
 *   served: at its first open() for reading (no lock held; a fatal signal stops it between
 *   2 MiB steps), re-checked at the first read() and mmap() of the inode, so before any fault can
 *   insert a PTE or PMD of it (a fault needs a mapping, and every mapping of the file was made
 *   by daxfs_mmap). A per-inode-number bit in the mount says it is done; hard links share the
 *   inode and its bit, and the bit outlives the in-core inode (evicted and read back: not
 *   invalidated again). Concurrent first users of one inode wait for the one invalidating it
 *   (a bit lock per inode number), so none reads before the lines are dropped; first users of
 *   different files do not wait for each other.
 *
 * Test hook: with the module parameter check_invalidation=1 when a mount is made, the mount
 * also records every page of the image daxfs_source_invalidate() went over, and counts each
 * page served (copied by read(), its frame looked up for a fault, read through ->access)
 * that was not: /sys/fs/daxfs/DEV/uninvalidated_served. /sys/fs/daxfs/DEV/invalidated_bytes
 * counts the bytes invalidated since the mount (both in sysfs.c).
 */
#include <linux/fs.h>
#include <linux/libnvdimm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include "daxfs.h"

static bool daxfs_check_invalidation;
module_param_named(check_invalidation, daxfs_check_invalidation, bool, 0644);
MODULE_PARM_DESC(check_invalidation,
		 "test hook: mounts made while set count pages served before their cache lines were invalidated (/sys/fs/daxfs/DEV/uninvalidated_served)");

#define DAXFS_GFP_BITMAP	(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/*
 * Drop this host's cached copies of bytes [start, end) of the image (clamped to the source): in
 * 2 MiB steps, each in a device-access section (a removal is not held up, and the device
 * cannot go away under it). -ENXIO if the mount is revoked or the device is going away.
 *
 * fsdax: pages the device reports bad are skipped (counted in sbi->inval_skipped), never
 * flushed. The mount maps the whole image (DAX_RECOVERY_WRITE, source.c) bad pages included,
 * and after a real machine check x86 removes the bad page from the direct map
 * (set_mce_nospec), which is where pmem's kaddr points: a clflush there would oops. Nothing is
 * ever served from a page the device reports bad (every read and fault asks it first).
 */
int daxfs_source_invalidate(struct daxfs_sb_info *sbi, u64 start, u64 end)
{
	struct daxfs_source *src = &sbi->src;
	struct daxfs_access a;
	u64 n, ok, skip;
	int err;

	if (src->kind == DAXFS_SRC_DMABUF)
		return 0;
	end = min(end, src->len);
	while (start < end) {
		n = min_t(u64, end - start, SZ_2M);
		/* A huge file takes long: a killed task stops (its bit is not set). */
		if (fatal_signal_pending(current))
			return -EINTR;
		if (!daxfs_access_begin(sbi, &a))
			return -ENXIO;
		/* Only the pages before the first bad one (fsdax); all of them otherwise. */
		ok = daxfs_source_readable(src, start, n, &err);
		/* arch_invalidate_pmem: clflush(opt) of every line on x86, exported GPL */
		if (ok)
			arch_invalidate_pmem((void *)(src->kaddr + start), ok);
		daxfs_access_end(sbi, &a);
		if (err && err != -EIO)
			return -ENXIO;
		atomic64_add(ok, &sbi->inval_bytes);
		if (sbi->inval_pages && ok) {	/* test hook: the pages it went over */
			/* bitmap_set is a plain read-modify-write: first users of two files race */
			spin_lock(&sbi->inval_lock);
			bitmap_set(sbi->inval_pages, start >> PAGE_SHIFT,
				   (DIV_ROUND_UP(start + ok, PAGE_SIZE)) - (start >> PAGE_SHIFT));
			spin_unlock(&sbi->inval_lock);
		}
		/* A bad page: skip it and go on after it. */
		skip = 0;
		if (ok < n) {
			skip = min(round_down(start + ok, PAGE_SIZE) + PAGE_SIZE, end) - (start + ok);
			atomic64_inc(&sbi->inval_skipped);
		}
		start += ok + skip;
		cond_resched();
	}
	return 0;
}

/* A zeroed bitmap of n bits: kvcalloc, as one may exceed what kmalloc can give (big images). */
static unsigned long *daxfs_bitmap_zalloc(u64 n)
{
	return kvcalloc(BITS_TO_LONGS(n), sizeof(unsigned long), DAXFS_GFP_BITMAP);
}

/*
 * Called once the snapshot is validated: the bitmaps are sized by its inode count and size.
 * dma-buf mounts need none (nothing to invalidate, daxfs_data_ready).
 */
int daxfs_inval_init(struct daxfs_sb_info *sbi)
{
	u32 inodes = le32_to_cpu(sbi->super->inode_count);

	spin_lock_init(&sbi->inval_lock);
	if (sbi->src.kind == DAXFS_SRC_DMABUF)
		return 0;
	sbi->inval_done = daxfs_bitmap_zalloc(inodes);
	sbi->inval_busy = daxfs_bitmap_zalloc(inodes);
	if (!sbi->inval_done || !sbi->inval_busy)
		return -ENOMEM;
	if (daxfs_check_invalidation) {
		/* The metadata was invalidated before this existed: record it as done. */
		u64 meta_end = le64_to_cpu(sbi->super->str_off) + le64_to_cpu(sbi->super->str_size);

		sbi->inval_pages = daxfs_bitmap_zalloc(DIV_ROUND_UP(sbi->total_size, PAGE_SIZE));
		if (!sbi->inval_pages)
			return -ENOMEM;
		bitmap_set(sbi->inval_pages, 0, DIV_ROUND_UP(meta_end, PAGE_SIZE));
		sbi->inval_checked = true;
	}
	return 0;
}

void daxfs_inval_free(struct daxfs_sb_info *sbi)
{
	kvfree(sbi->inval_done);
	kvfree(sbi->inval_busy);
	kvfree(sbi->inval_pages);
}

/*
 * Before the first byte of a regular file is served in this mount (read_iter, mmap): drop this
 * host's cached lines of its extent, once. 0 when done (or nothing to do), -EINTR if killed
 * while waiting for another task invalidating the same file or while invalidating it. A revoked mount returns 0 without
 * marking the file: nothing is served from it any more (reads fail with EIO, faults SIGBUS,
 * as before the first use).
 */
int daxfs_data_ready(struct inode *inode)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	unsigned long bit = inode->i_ino - 1;	/* checked at iget */
	const struct daxfs_inode *di;
	u64 start;
	int err;

	if (sbi->src.kind == DAXFS_SRC_DMABUF || test_bit_acquire(bit, sbi->inval_done))
		return 0;
	err = wait_on_bit_lock(sbi->inval_busy, bit, TASK_KILLABLE);
	if (err)
		return err;
	if (!test_bit(bit, sbi->inval_done)) {
		di = daxfs_di(inode);
		start = le64_to_cpu(di->data);
		/* Whole pages: a mapping shows the last page's tail (zero, docs/format.md). */
		err = daxfs_source_invalidate(sbi, start,
					      start + round_up(le64_to_cpu(di->size), PAGE_SIZE));
		if (!err) {
			/* The lines are gone before anyone sees the bit. */
			smp_mb__before_atomic();
			set_bit(bit, sbi->inval_done);
		}
	}
	clear_and_wake_up_bit(bit, sbi->inval_busy);
	return err == -ENXIO ? 0 : err;
}

/* Test hook: count the pages of [off, off + len) of the image served but never invalidated. */
void daxfs_inval_check(struct daxfs_sb_info *sbi, u64 off, u64 len)
{
	unsigned long first, end, n = 0, i;

	if (!sbi->inval_checked || !len)
		return;
	first = off >> PAGE_SHIFT;
	end = DIV_ROUND_UP(off + len, PAGE_SIZE);
	for (i = find_next_zero_bit(sbi->inval_pages, end, first); i < end;
	     i = find_next_zero_bit(sbi->inval_pages, end, i + 1))
		n++;
	if (n)
		atomic64_add(n, &sbi->inval_stale);
}
