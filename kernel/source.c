// SPDX-License-Identifier: GPL-2.0-only
/*
 * source.c - the memory a daxfs image lives in: an fsdax block device (through its dax_device),
 * a reserved physical range, or a dma-buf. Produces a kernel address, the page frames (for
 * mapping pages into processes) and the number of bytes available from the image's offset.
 */
#define pr_fmt(fmt) "daxfs: " fmt

#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/dma-buf.h>
#include <linux/fs_context.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/security.h>
#include "daxfs.h"

static int daxfs_open_bdev(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	struct daxfs_source *src = &sbi->src;
	struct block_device *bdev;
	u64 part_off, dev_size;
	__le64 total;
	pgoff_t pgoff;
	long avail, want;
	void *kaddr;
	pfn_t pfn;
	int id;

	if (!fc->source)
		return invalfc(fc, "no source: give an fsdax block device, or phys= and size=");
	/* Exclusive against other filesystems and exclusive openers, shared by daxfs mounts (one
	 * holder for all) so several images of one pool device mount at once; plain writers (the
	 * pool writing new images elsewhere in the device) are not blocked.
	 */
	src->bdev_file = bdev_file_open_by_path(fc->source, BLK_OPEN_READ, fc->fs_type, NULL);
	if (IS_ERR(src->bdev_file)) {
		int err = PTR_ERR(src->bdev_file);

		src->bdev_file = NULL;
		errorfc(fc, "cannot open %s: error %d", fc->source, err);
		return err;
	}
	bdev = file_bdev(src->bdev_file);
	/* No holder: the dax_device has room for only one, and several mounts share it. */
	src->dax_dev = fs_dax_get_by_bdev(bdev, &part_off, NULL, NULL);
	if (!src->dax_dev)
		return invalfc(fc, "%s does not support DAX (is it an fsdax namespace?)", fc->source);
	dev_size = bdev_nr_bytes(bdev);
	if (sbi->offset >= dev_size)
		return invalfc(fc, "offset=%llu is beyond the end of %s (%llu bytes)", sbi->offset,
			       fc->source, dev_size);
	pgoff = (part_off + sbi->offset) >> PAGE_SHIFT;
	want = (dev_size - sbi->offset) >> PAGE_SHIFT;
	/*
	 * The superblock's page first, then only as much as the image says it spans: a bad block
	 * elsewhere in the device (another image of the pool) must not fail this mount. If the
	 * size is nonsense, map the rest of the device and let the validator refuse the image.
	 */
	id = dax_read_lock();
	avail = dax_direct_access(src->dax_dev, pgoff, 1, DAX_ACCESS, &kaddr, &pfn);
	if (avail > 0 && !copy_mc_to_kernel(&total, (u8 *)kaddr + offsetof(struct daxfs_super, total_size),
					    sizeof(total))) {
		u64 pages = DIV_ROUND_UP(le64_to_cpu(total), PAGE_SIZE);

		if (pages > 1 && pages <= want)
			want = pages;
		avail = dax_direct_access(src->dax_dev, pgoff, want, DAX_ACCESS, &kaddr, &pfn);
	}
	dax_read_unlock(id);
	if (avail <= 0)
		return invalfc(fc, "%s: direct access failed (%ld)", fc->source, avail);
	src->kind = DAXFS_SRC_BDEV;
	src->kaddr = kaddr;
	/* pmem is one linear range: what direct access returned is contiguous. */
	src->len = (u64)min(avail, want) << PAGE_SHIFT;
	src->phys = pfn_t_to_phys(pfn);
	src->pfn_flags = pfn.val & PFN_FLAGS_MASK;
	return 0;
}

static int daxfs_open_phys(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	struct daxfs_source *src = &sbi->src;
	u64 phys = sbi->phys, size = sbi->phys_size;

	if (!capable(CAP_SYS_ADMIN)) {
		errorfc(fc, "phys= needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	/* Like /dev/mem: raw physical memory is off limits under lockdown. */
	if (security_locked_down(LOCKDOWN_DEV_MEM)) {
		errorfc(fc, "phys= is not allowed under kernel lockdown");
		return -EPERM;
	}
	if (!size)
		return invalfc(fc, "phys= needs size=");
	if (!PAGE_ALIGNED(phys) || !PAGE_ALIGNED(size) || phys + size < phys)
		return invalfc(fc, "phys=%#llx size=%#llx must be page aligned and not wrap", phys, size);
	if (sbi->offset >= size)
		return invalfc(fc, "offset=%llu is beyond size=%llu", sbi->offset, size);
	if (region_intersects(phys, size, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) != REGION_DISJOINT)
		return invalfc(fc, "phys=%#llx size=%#llx intersects System RAM", phys, size);
	src->memremap_addr = memremap(phys, size, MEMREMAP_WB);
	if (!src->memremap_addr)
		return invalfc(fc, "cannot map phys=%#llx size=%#llx", phys, size);
	src->kind = DAXFS_SRC_PHYS;
	src->kaddr = (const u8 *)src->memremap_addr + sbi->offset;
	src->len = size - sbi->offset;
	src->phys = phys + sbi->offset;
	/* Not in the memory map: mapped as raw pfns, no huge pages. */
	src->pfn_flags = PFN_DEV;
	return 0;
}

/*
 * A dma-buf (e.g. from /dev/dma_heap/system): read through its kernel mapping (vmap), mapped
 * into processes page by page (the pages need not be physically contiguous).
 */
static int daxfs_open_dmabuf(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	struct daxfs_source *src = &sbi->src;
	u64 i;
	int err;

	src->dmabuf = sbi->dmabuf;
	sbi->dmabuf = NULL;
	if (sbi->offset >= src->dmabuf->size)
		return invalfc(fc, "offset=%llu is beyond the dma-buf (%zu bytes)", sbi->offset,
			       src->dmabuf->size);
	err = dma_buf_vmap_unlocked(src->dmabuf, &src->map);
	if (err) {
		errorfc(fc, "cannot map the dma-buf: error %d", err);
		return err;
	}
	if (src->map.is_iomem)
		return invalfc(fc, "the dma-buf is I/O memory: not supported");
	/* Mapping into processes needs the pages behind the kernel mapping: find them now. */
	src->npages = src->dmabuf->size >> PAGE_SHIFT;
	src->pages = kvmalloc_array(src->npages, sizeof(*src->pages), GFP_KERNEL);
	if (!src->pages)
		return -ENOMEM;
	for (i = 0; i < src->npages; i++) {
		const void *p = (const u8 *)src->map.vaddr + (i << PAGE_SHIFT);

		src->pages[i] = is_vmalloc_addr(p) ? vmalloc_to_page(p) :
			virt_addr_valid(p) ? virt_to_page(p) : NULL;
		if (!src->pages[i])
			return invalfc(fc, "the dma-buf's memory has no struct pages: not supported");
	}
	src->kind = DAXFS_SRC_DMABUF;
	src->kaddr = (const u8 *)src->map.vaddr + sbi->offset;
	src->len = src->dmabuf->size - sbi->offset;
	return 0;
}

int daxfs_source_open(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	if (!PAGE_ALIGNED(sbi->offset))
		return invalfc(fc, "offset=%llu is not a multiple of %lu", sbi->offset, PAGE_SIZE);
	if (sbi->phys_set && sbi->dmabuf)
		return invalfc(fc, "phys= and dmabuf= exclude each other");
	if (sbi->size_set && !sbi->phys_set)
		return invalfc(fc, "size= goes with phys=");
	if (sbi->dmabuf)
		return daxfs_open_dmabuf(fc, sbi);
	if (sbi->phys_set)
		return daxfs_open_phys(fc, sbi);
	return daxfs_open_bdev(fc, sbi);
}

/* The page frame of byte off (page aligned) of the image, for mapping it into a process. */
pfn_t daxfs_source_pfn(const struct daxfs_source *src, u64 off)
{
	if (src->kind == DAXFS_SRC_DMABUF) {
		/* off is inside the image (a validated extent): the index is inside the array. */
		u64 in_buf = off + (src->kaddr - (const u8 *)src->map.vaddr);

		return page_to_pfn_t(src->pages[in_buf >> PAGE_SHIFT]);
	}
	return phys_to_pfn_t(src->phys + off, src->pfn_flags);
}

void daxfs_source_close(struct daxfs_source *src)
{
	if (src->dax_dev)
		fs_put_dax(src->dax_dev, NULL);
	if (src->bdev_file)
		fput(src->bdev_file);
	if (src->memremap_addr)
		memunmap(src->memremap_addr);
	kvfree(src->pages);
	if (src->dmabuf) {
		if (src->map.vaddr)
			dma_buf_vunmap_unlocked(src->dmabuf, &src->map);
		dma_buf_put(src->dmabuf);
	}
	memset(src, 0, sizeof(*src));
}
