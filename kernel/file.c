// SPDX-License-Identifier: GPL-2.0-only
/*
 * file.c - regular files: one contiguous extent in DAX memory. read() copies straight from the
 * memory with a machine-check-safe copy; mmap() maps the memory's own pages (PMD mappings for
 * 2 MiB-aligned extents of device pages: fsdax with its memory map, device-dax with -o devpages
 * while bound; see compat.h for why not raw frames). No page cache is involved.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/splice.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include "daxfs.h"

/* The extent's first byte, in the source (kernel address / physical address). */
static u64 daxfs_extent(const struct inode *inode)
{
	return le64_to_cpu(daxfs_di(inode)->data);
}

/*
 * The copy runs inside the access section (daxfs_access_begin/end) that a device removal waits
 * for, so it must not wait on the user: page faults are disabled and a short copy leaves the
 * section, faults the destination in, and goes on. A copy that stops with the destination
 * present is a machine check: -EIO (or the bytes before it). Each chunk first asks the device
 * whether it is readable (fsdax: its list of bad blocks, which may have grown since the mount):
 * the bytes before the first bad page are copied, then -EIO (or those bytes).
 */
static ssize_t daxfs_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	loff_t pos = iocb->ki_pos, size = i_size_read(inode);
	struct daxfs_access a;
	size_t len, done = 0, n;
	bool faulted_in = false, bad;
	ssize_t err = 0;
	int rerr;

	if (pos < 0)
		return -EINVAL;
	if (pos >= size || !iov_iter_count(to))
		return 0;
	len = min_t(u64, iov_iter_count(to), size - pos);
	err = daxfs_data_ready(inode);	/* its stale cache lines dropped (inval.c) */
	if (err)
		return err;
	while (done < len) {
		/* At most 2 MiB per section: a removal waits for one chunk, not a whole read(). */
		size_t want = min_t(size_t, len - done, SZ_2M);
		u64 off = daxfs_extent(inode) + pos + done;

		if (!daxfs_access_begin(sbi, &a)) {
			err = -EIO;
			break;
		}
		n = daxfs_source_readable(&sbi->src, off, want, &rerr);
		bad = n < want;
		want = n;
		daxfs_inval_check(sbi, off, want);	/* test hook */
		pagefault_disable();
		n = want ? _copy_mc_to_iter(sbi->src.kaddr + off, want, to) : 0;
		pagefault_enable();
		daxfs_access_end(sbi, &a);
		done += n;
		if (done == len)
			break;
		if (n == want) {
			if (bad) {
				/* a bad block, or the device failing: the bytes before it, or EIO */
				err = -EIO;
				break;
			}
			faulted_in = false;
			cond_resched();
			continue;
		}
		if (n == 0 && faulted_in) {
			err = -EIO;	/* the destination is there: the source failed */
			break;
		}
		if (fault_in_iov_iter_writeable(to, min_t(size_t, len - done, PAGE_SIZE)) ==
		    min_t(size_t, len - done, PAGE_SIZE)) {
			err = -EFAULT;
			break;
		}
		faulted_in = n == 0;
		cond_resched();
	}
	/* A short read still moves the file position past what it returned. */
	iocb->ki_pos = pos + done;
	return done ?: err;
}

/* Pages of the extent a mapping may see: whole pages, the tail of the last one is zero. */
static pgoff_t daxfs_npages(const struct inode *inode)
{
	return DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
}

/* The frame of page pgoff of the file, of a mapping of nr pages from it. */
static daxfs_pfn_t daxfs_pfn(const struct inode *inode, pgoff_t pgoff, unsigned long nr,
			     enum daxfs_pfn_kind *kind)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	u64 off = daxfs_extent(inode) + ((u64)pgoff << PAGE_SHIFT);

	daxfs_inval_check(sbi, off, (u64)nr << PAGE_SHIFT);	/* test hook (inval.c) */
	return daxfs_source_pfn(&sbi->src, off, kind);
}

/*
 * 0 if the device gives all of pages [pgoff, pgoff + nr) of the file (fsdax only; in a
 * device-access section). If it reports a bad block there, VM_FAULT_HWPOISON: SIGBUS with
 * BUS_MCEERR_AR, as fs/dax.c answers a fault on a poisoned range. If it fails otherwise (going
 * away: -ENXIO), a plain VM_FAULT_SIGBUS: that is no memory error.
 */
static vm_fault_t daxfs_pages_bad(const struct inode *inode, pgoff_t pgoff, unsigned long nr)
{
	u64 len = (u64)nr << PAGE_SHIFT;
	int err;

	if (daxfs_source_readable(&DAXFS_SB(inode->i_sb)->src,
				  daxfs_extent(inode) + ((u64)pgoff << PAGE_SHIFT), len, &err) == len)
		return 0;
	return err == -EIO ? VM_FAULT_HWPOISON : VM_FAULT_SIGBUS;
}

/*
 * A dma-buf's page (dmabuf.c). Where the mount found that every page of the buffer may be, it
 * is inserted as a page (refcounted, in the rmap): get_user_pages() takes it (O_DIRECT from the
 * mapping, vmsplice, process_vm_readv) and the copy-on-write of a private mapping copies from
 * it; vm_insert_page() still refusing one is SIGBUS, said once in the log. Otherwise (a
 * page-cache folio, as udmabuf exports) as a raw frame: a special PTE, no reference, no rmap,
 * as for phys=; get_user_pages() fails on it, /proc/PID/mem goes through ->access.
 */
static vm_fault_t daxfs_fault_dmabuf(struct vm_fault *vmf, struct inode *inode)
{
	const struct daxfs_source *src = &DAXFS_SB(inode->i_sb)->src;
	struct page *page;
	vm_fault_t ret;

	page = daxfs_source_page(src, daxfs_extent(inode) + ((u64)vmf->pgoff << PAGE_SHIFT));
	if (!page)
		return VM_FAULT_SIGBUS;
	if (!src->pages_mappable)
		return vmf_insert_mixed(vmf->vma, vmf->address,
					daxfs_mkpfn(page_to_pfn(page), DAXFS_PFN_RAW));
	ret = vmf_insert_page(vmf->vma, vmf->address, page);
	if (ret & VM_FAULT_SIGBUS)
		pr_warn_once("daxfs: a dma-buf page cannot be mapped into a process (pfn %#lx)\n",
			     page_to_pfn(page));
	return ret;
}

static vm_fault_t daxfs_fault(struct vm_fault *vmf)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	enum daxfs_pfn_kind kind;
	struct daxfs_access a;
	vm_fault_t ret;

	if (vmf->pgoff >= daxfs_npages(inode))
		return VM_FAULT_SIGBUS;
	/* A revocation zaps mappings after waiting for faults in flight: none is left behind. */
	if (!daxfs_access_begin(sbi, &a))
		return VM_FAULT_SIGBUS;
	/*
	 * Always insert the page read-only. A write to a MAP_PRIVATE mapping (do_cow_fault) then
	 * gets VM_FAULT_NOPAGE, retries, finds this read-only pte and copies just this page
	 * (do_wp_page); MAP_SHARED mappings of a read-only filesystem are never writable.
	 */
	if (sbi->src.kind == DAXFS_SRC_DMABUF)
		ret = daxfs_fault_dmabuf(vmf, inode);
	else
		ret = daxfs_pages_bad(inode, vmf->pgoff, 1) ?:
		      vmf_insert_mixed(vmf->vma, vmf->address,
				       daxfs_pfn(inode, vmf->pgoff, 1, &kind));
	daxfs_access_end(sbi, &a);
	return ret;
}

static vm_fault_t daxfs_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	struct vm_area_struct *vma = vmf->vma;
	unsigned long haddr = vmf->address & PMD_MASK;
	enum daxfs_pfn_kind kind;
	struct daxfs_access a;
	vm_fault_t ret;
	pgoff_t pgoff;
	daxfs_pfn_t pfn;

	if (order == 0)
		return daxfs_fault(vmf);
	if (order != PMD_ORDER || (vmf->flags & FAULT_FLAG_WRITE) ||
	    sbi->src.kind == DAXFS_SRC_DMABUF)
		return VM_FAULT_FALLBACK;
	pgoff = vmf->pgoff & ~((pgoff_t)PTRS_PER_PMD - 1);
	/* The whole PMD must be inside the vma and inside the file's pages (never the next
	 * file's), and the physical address 2 MiB aligned, on device pages (compat.h).
	 */
	if (haddr < vma->vm_start || haddr + PMD_SIZE > vma->vm_end ||
	    (vma->vm_pgoff & (PTRS_PER_PMD - 1)) !=
	    ((vma->vm_start >> PAGE_SHIFT) & (PTRS_PER_PMD - 1)) ||
	    pgoff + PTRS_PER_PMD > daxfs_npages(inode))
		return VM_FAULT_FALLBACK;
	if (!daxfs_access_begin(sbi, &a))
		return VM_FAULT_SIGBUS;
	/*
	 * What the frames are is read inside the section: an unbind changes it, then zaps. A bad
	 * block anywhere in the 2 MiB: 4 KiB pages instead, so only the bad page's fault fails.
	 */
	pfn = daxfs_source_pfn(&sbi->src, daxfs_extent(inode) + ((u64)pgoff << PAGE_SHIFT), &kind);
	if (daxfs_pfn_huge(kind) && !(daxfs_pfn_val(pfn) & (PTRS_PER_PMD - 1)) &&
	    !daxfs_pages_bad(inode, pgoff, PTRS_PER_PMD)) {
		/* test hook (inval.c): only pages really served; a fallback counts them per PTE */
		daxfs_inval_check(sbi, daxfs_extent(inode) + ((u64)pgoff << PAGE_SHIFT), PMD_SIZE);
		ret = vmf_insert_pfn_pmd(vmf, pfn, false);
	} else {
		ret = VM_FAULT_FALLBACK;
	}
	daxfs_access_end(sbi, &a);
	return ret;
}

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
static vm_fault_t daxfs_huge_fault_pe(struct vm_fault *vmf, enum page_entry_size pe_size)
{
	switch (pe_size) {
	case PE_SIZE_PTE:
		return daxfs_huge_fault(vmf, 0);
	case PE_SIZE_PMD:
		return daxfs_huge_fault(vmf, PMD_ORDER);
	default:
		return VM_FAULT_FALLBACK;
	}
}
#endif

static const struct vm_operations_struct daxfs_vm_ops = {
	.fault = daxfs_fault,
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	.huge_fault = daxfs_huge_fault,
#else
	.huge_fault = daxfs_huge_fault_pe,
#endif
	.access = daxfs_vm_access,	/* /proc/PID/mem, ptrace: raw pfns (vmaccess.c) */
};

static int daxfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	int err;

	if ((vma->vm_flags & VM_SHARED) && (vma->vm_flags & VM_MAYWRITE))
		return -EACCES;
	/* Before any fault can map a page of the file: its stale cache lines dropped (inval.c). */
	err = daxfs_data_ready(file_inode(file));
	if (err)
		return err;
	file_accessed(file);
	vma->vm_ops = &daxfs_vm_ops;
	daxfs_vm_flags_set(vma, VM_MIXEDMAP);
	return 0;
}

/*
 * read() never goes through a page cache and never waits for I/O: O_DIRECT is what it always
 * does, and RWF_NOWAIT/IOCB_NOWAIT need nothing special.
 */
static int daxfs_file_open(struct inode *inode, struct file *file)
{
	int err;

	file->f_mode |= FMODE_CAN_ODIRECT | FMODE_NOWAIT;
	/*
	 * The file's stale cache lines are dropped here (inval.c), where no lock is held and a
	 * kill stops it: not under mmap_lock at the first mmap(). read_iter and mmap re-check.
	 */
	if (file->f_mode & FMODE_READ) {
		err = daxfs_data_ready(inode);
		if (err)
			return err;
	}
	return generic_file_open(inode, file);
}

/* FS_IOC_GETFSLABEL: the image's label (NUL-terminated and NUL-padded: validated). */
long daxfs_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(file_inode(file)->i_sb);
	char label[FSLABEL_MAX] = {};

	if (cmd != FS_IOC_GETFSLABEL)
		return -ENOTTY;
	BUILD_BUG_ON(DAXFS_LABEL_SIZE > FSLABEL_MAX);
	memcpy(label, sbi->super->label, DAXFS_LABEL_SIZE);
	if (copy_to_user((char __user *)arg, label, FSLABEL_MAX))
		return -EFAULT;
	return 0;
}

const struct file_operations daxfs_file_fops = {
	.open = daxfs_file_open,
	.unlocked_ioctl = daxfs_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = generic_file_llseek,
	.fsync = noop_fsync,
	.read_iter = daxfs_read_iter,
	/* Through read_iter: no page cache, unlike filemap_splice_read (compat.h). */
	.splice_read = daxfs_splice_read,
	.mmap = daxfs_mmap,
	.get_unmapped_area = thp_get_unmapped_area,
};

const struct inode_operations daxfs_file_iops = {
	.listxattr = daxfs_listxattr,
	.getattr = daxfs_getattr,
	DAXFS_ACL_IOPS,
	.fileattr_get = daxfs_fileattr_get,
	.fiemap = daxfs_fiemap,
};

/* No page cache: nothing is ever read into, or dirtied in, the mapping. */
const struct address_space_operations daxfs_aops = {
	.dirty_folio = noop_dirty_folio,
};
