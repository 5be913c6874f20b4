// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf.c - a daxfs image held in a dma-buf (fsconfig FSCONFIG_SET_FD "dmabuf"): the buffer's
 * kernel mapping, the pages behind it, and how those may be mapped into processes.
 *
 * The image is read through the buffer's vmap. For mmap, the struct pages behind the vmap are
 * looked up once at mount (the pages need not be physically contiguous), and the mount decides,
 * for the whole buffer, how a fault maps them (file.c):
 *
 * - as pages (vmf_insert_page: refcounted, in the rmap; get_user_pages() takes them) when every
 *   page is the exporter's own allocation that no other part of memory management tracks, as
 *   the system heap's are;
 * - otherwise as raw frames (special PTEs: no reference, no rmap; get_user_pages() refuses
 *   them, ->access serves /proc/PID/mem). udmabuf, for one, exports the folios of a memfd's
 *   page cache: inserted as pages into a daxfs vma they would be mapped by a vma of another
 *   file, which the memfd's truncation, hole punch, reclaim and migration never find (they walk
 *   the shmem mapping's i_mmap). udmabuf's own mmap maps them as raw frames for that reason
 *   (VM_PFNMAP, since 6.12). The exporter keeps them pinned for the dma-buf's life, and the
 *   mount holds the dma-buf until the last mapping of its files is gone.
 */
#define pr_fmt(fmt) "daxfs: " fmt

#include <linux/dma-buf.h>
#include <linux/fs_context.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "daxfs.h"

/*
 * Why a page of the buffer may not be mapped into processes as a page, or NULL if it may. Not:
 * what vm_insert_page() refuses anyway (an unreferenced page, as a free one or a tail of a
 * non-compound allocation; a slab or typed page; anonymous memory), a device page, a hugetlb
 * folio (hugetlbfs page cache, also after its removal from it), a folio with a ->mapping (a
 * file's page cache; anonymous, KSM or movable memory), or one on an LRU list (reclaim and
 * migration unmap it through its mapping's rmap, which does not know daxfs's vma). The exporter
 * holds its pages for the dma-buf's life, so a page judged here stays what it is: its own
 * allocation does not join a page cache or an LRU list while it holds it.
 */
static const char *daxfs_page_unmappable(struct page *page)
{
	struct folio *folio = page_folio(page);

	if (!folio_ref_count(folio))
		return "unreferenced";
	/* Before ->mapping: a slab's struct slab overlays it. */
	if (folio_test_slab(folio))
		return "slab";
	if (page_has_type(page) || page_has_type(&folio->page))
		return "typed";
	if (is_zone_device_page(page))
		return "device";
	if (folio_test_hugetlb(folio))
		return "hugetlb";
	if (READ_ONCE(folio->mapping))
		return "in a page cache or anonymous";
	if (folio_test_lru(folio))
		return "on an LRU list";
	return NULL;
}

int daxfs_open_dmabuf(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	struct daxfs_source *src = &sbi->src;
	const char *why = NULL;
	u64 i, size, bad = 0;
	int err;

	src->dmabuf = sbi->dmabuf;
	sbi->dmabuf = NULL;
	/* Whole pages only: a partial last page would have no entry in src->pages. */
	src->npages = src->dmabuf->size >> PAGE_SHIFT;
	size = src->npages << PAGE_SHIFT;
	if (sbi->offset >= size)
		return invalfc(fc, "offset=%llu is beyond the dma-buf (%zu bytes, %llu in whole pages)",
			       sbi->offset, src->dmabuf->size, size);
	err = daxfs_dma_buf_vmap(src->dmabuf, &src->map);
	if (err) {
		errorfc(fc, "cannot map the dma-buf: error %d", err);
		return err;
	}
	if (src->map.is_iomem)
		return invalfc(fc, "the dma-buf is I/O memory: not supported");
	/* Mapping into processes needs the pages behind the kernel mapping: find them now. */
	src->pages = kvmalloc_array(src->npages, sizeof(*src->pages), GFP_KERNEL);
	if (!src->pages)
		return -ENOMEM;
	for (i = 0; i < src->npages; i++) {
		const void *p = (const u8 *)src->map.vaddr + (i << PAGE_SHIFT);

		src->pages[i] = is_vmalloc_addr(p) ? vmalloc_to_page(p) :
			virt_addr_valid(p) ? virt_to_page(p) : NULL;
		if (!src->pages[i])
			return invalfc(fc, "the dma-buf's memory has no struct pages: not supported");
		if (!why) {
			why = daxfs_page_unmappable(src->pages[i]);
			bad = i;
		}
	}
	src->pages_mappable = !why;
	if (why)
		pr_info("dma-buf from %s: page %llu (pfn %#lx) is %s: its pages are mapped into processes as raw frames (get_user_pages() on those mappings fails)\n",
			src->dmabuf->exp_name ?: "?", bad, page_to_pfn(src->pages[bad]), why);
	src->kind = DAXFS_SRC_DMABUF;
	src->kaddr = (const u8 *)src->map.vaddr + sbi->offset;
	src->len = size - sbi->offset;
	return 0;
}

/*
 * The dma-buf's page holding byte off (page aligned) of the image, or NULL past the buffer's
 * last whole page (never for a validated extent). src->len ends at that page's end.
 */
struct page *daxfs_source_page(const struct daxfs_source *src, u64 off)
{
	if (off >= src->len)
		return NULL;
	return src->pages[(off + (src->kaddr - (const u8 *)src->map.vaddr)) >> PAGE_SHIFT];
}

void daxfs_dmabuf_close(struct daxfs_source *src)
{
	kvfree(src->pages);
	if (src->map.vaddr)
		daxfs_dma_buf_vunmap(src->dmabuf, &src->map);
	dma_buf_put(src->dmabuf);
}
