// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf.c - a daxfs image held in a dma-buf (fsconfig FSCONFIG_SET_FD "dmabuf"): the buffer's
 * kernel mapping, the pages behind it, and closing it again.
 */
#define pr_fmt(fmt) "daxfs: " fmt

#include <linux/dma-buf.h>
#include <linux/fs_context.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "daxfs.h"

/*
 * A dma-buf (e.g. from /dev/dma_heap/system): read through its kernel mapping (vmap), mapped
 * into processes page by page, as pages (the pages need not be physically contiguous): the
 * struct pages behind the vmap, found once here.
 */
int daxfs_open_dmabuf(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	struct daxfs_source *src = &sbi->src;
	u64 i;
	int err;

	src->dmabuf = sbi->dmabuf;
	sbi->dmabuf = NULL;
	if (sbi->offset >= src->dmabuf->size)
		return invalfc(fc, "offset=%llu is beyond the dma-buf (%zu bytes)", sbi->offset,
			       src->dmabuf->size);
	err = daxfs_dma_buf_vmap(src->dmabuf, &src->map);
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

/* A dma-buf's page holding byte off (page aligned) of the image. */
struct page *daxfs_source_page(const struct daxfs_source *src, u64 off)
{
	/* off is inside the image (a validated extent): the index is inside the array. */
	u64 in_buf = off + (src->kaddr - (const u8 *)src->map.vaddr);

	return src->pages[in_buf >> PAGE_SHIFT];
}

void daxfs_dmabuf_close(struct daxfs_source *src)
{
	kvfree(src->pages);
	if (src->map.vaddr)
		daxfs_dma_buf_vunmap(src->dmabuf, &src->map);
	dma_buf_put(src->dmabuf);
}
