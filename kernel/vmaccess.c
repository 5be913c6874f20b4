// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmaccess.c - vm_ops->access of daxfs mappings: another process's view of them through
 * /proc/PID/mem, ptrace(PTRACE_PEEKDATA) and so gdb.
 *
 * Those go through access_remote_vm(), which first tries get_user_pages(). Device pages (fsdax
 * with struct pages, device-dax only with -o devpages while bound) and the system heap's
 * dma-buf pages are mapped as pages and found that way. phys= sources, device-dax (by default)
 * and dma-bufs of page-cache folios (udmabuf; dmabuf.c) are mapped as raw pfns (special ptes):
 * get_user_pages() refuses them and the kernel falls back to ->access, as it does for /dev/mem
 * mappings (generic_access_phys). Here
 * the bytes come from the source's kernel mapping, the same bytes the mapping shows: the page
 * of the file at that address, inside the extent the validated snapshot gives, in a device
 * access section (a revoked mount reads nothing). Writes are refused: daxfs files are read-only
 * and MAP_SHARED mappings are never writable. (A write into a MAP_PRIVATE mapping, a software
 * breakpoint, fails too: the kernel's copy-on-write of a raw pfn cannot copy from another
 * process's address space; it would need the pages mapped as pages.)
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include "daxfs.h"

int daxfs_vm_access(struct vm_area_struct *vma, unsigned long addr, void *buf, int len,
		    int write)
{
	struct inode *inode = file_inode(vma->vm_file);
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	u64 pos, end, extent = le64_to_cpu(daxfs_di(inode)->data);
	struct daxfs_access a;
	unsigned long left;
	int err;

	if (write)
		return -EACCES;
	if (len <= 0 || addr < vma->vm_start || addr >= vma->vm_end)
		return -EINVAL;
	/* The file's byte at addr; what a fault there maps: whole pages of the extent. */
	pos = ((u64)vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
	end = (u64)DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE) << PAGE_SHIFT;
	if (pos >= end)
		return -EFAULT;	/* a fault there is SIGBUS */
	/* One page at a time, as generic_access_phys: the caller loops. */
	len = min_t(u64, len, min_t(u64, end - pos, PAGE_SIZE - offset_in_page(addr)));
	if (!daxfs_access_begin(sbi, &a))
		return -EIO;
	/* A bad block the device reports (fsdax): the bytes before it, or EIO. */
	len = daxfs_source_readable(&sbi->src, extent + pos, len, &err);
	daxfs_inval_check(sbi, extent + pos, len);	/* test hook (inval.c) */
	left = len ? copy_mc_to_kernel(buf, sbi->src.kaddr + extent + pos, len) : 0;
	daxfs_access_end(sbi, &a);
	if (left == len)	/* also len == 0: a bad first byte */
		return -EIO;
	return len - left;
}
