/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * compat.h - the kernel interfaces daxfs uses that changed between Linux 6.1 (Debian 12's
 * default kernel) and the newer kernels it is written for (tested: 6.12). Each difference is
 * decided by LINUX_VERSION_CODE at the release that made the change; the rest of the module
 * uses the daxfs_* names below, or the newer interface where 6.1 only lacks a helper.
 *
 * Built and tested for 6.1.y and 6.12; the kernels in between changed several of these
 * interfaces more than once (the block device open went through three forms), so they are
 * refused at build time rather than guessed at. Newer than 6.12: the changes below up to 7.3
 * (the newest kernel in Debian's archive, trixie-backports, when written) are handled, each at
 * the release that made it; 7.3 is built in the tests (tests/kbuild-newest), never booted.
 */
#ifndef _DAXFS_COMPAT_H
#define _DAXFS_COMPAT_H

#include <linux/version.h>
#include <linux/badblocks.h>
#include <linux/blkdev.h>
#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/splice.h>
#include <linux/string.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0) || \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0) && \
	 LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0))
#error "daxfs builds for Linux 6.1.y and for 6.10 or later (tested: 6.1 and 6.12)"
#endif

/* 6.3: the idmapping of a mount is a struct mnt_idmap (a struct user_namespace before). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
typedef struct mnt_idmap daxfs_idmap;
#else
typedef struct user_namespace daxfs_idmap;
#endif

/* 6.6: generic_fillattr() takes the request mask. */
static inline void daxfs_fillattr(daxfs_idmap *idmap, u32 request_mask, struct inode *inode,
				  struct kstat *stat)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	generic_fillattr(idmap, request_mask, inode, stat);
#else
	generic_fillattr(idmap, inode, stat);
#endif
}

/*
 * 6.2: ->get_acl(inode, type, rcu) became ->get_inode_acl (permission checks), and ->get_acl
 * took a dentry (the system.posix_acl_* xattrs, now read by the VFS itself). Before, those
 * xattrs go through the filesystem's xattr handlers: the generic POSIX ACL ones (xattr.c).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define DAXFS_ACL_IOPS \
	.get_inode_acl = daxfs_get_inode_acl, \
	.get_acl = daxfs_get_acl
#define DAXFS_POSIX_ACL_XATTR_HANDLERS 0
#else
#define DAXFS_ACL_IOPS \
	.get_acl = daxfs_get_inode_acl
#define DAXFS_POSIX_ACL_XATTR_HANDLERS 1
#endif

/* 6.7: the superblock's xattr handler array is const itself. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#define DAXFS_XATTR_HANDLERS_CONST const
#else
#define DAXFS_XATTR_HANDLERS_CONST
#endif

/* 6.7: the timestamps are set through accessors (and NFS export needs an explicit ->encode_fh;
 * before, no ->encode_fh meant the same 32-bit inode number handle, generic_encode_ino32_fh). */
static inline void daxfs_set_times(struct inode *inode, struct timespec64 t)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	inode_set_mtime_to_ts(inode, t);
	inode_set_atime_to_ts(inode, t);
	inode_set_ctime_to_ts(inode, t);
#else
	inode->i_mtime = t;
	inode->i_atime = t;
	inode->i_ctime = t;
#endif
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#define DAXFS_ENCODE_FH generic_encode_ino32_fh
#else
#define DAXFS_ENCODE_FH NULL
#endif

/* 6.10: super_set_uuid() (which also records the length, for FS_IOC_GETFSUUID). */
static inline void daxfs_set_uuid(struct super_block *sb, const u8 *uuid, unsigned int len)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	super_set_uuid(sb, uuid, len);
#else
	memcpy(&sb->s_uuid, uuid, min_t(unsigned int, len, sizeof(sb->s_uuid)));
#endif
}

/*
 * 6.9: block devices are opened as files (bdev_file_open_by_path); 6.1 has
 * blkdev_get_by_path() with FMODE_EXCL and a holder. Either way: read-only, exclusive against
 * other filesystems and exclusive openers, shared by the opens with the same holder.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
typedef struct file daxfs_bdev_handle;

static inline daxfs_bdev_handle *daxfs_bdev_open(const char *path, void *holder)
{
	return bdev_file_open_by_path(path, BLK_OPEN_READ, holder, NULL);
}

static inline struct block_device *daxfs_bdev(daxfs_bdev_handle *h)
{
	return file_bdev(h);
}

static inline void daxfs_bdev_close(daxfs_bdev_handle *h)
{
	fput(h);
}
#else
typedef struct block_device daxfs_bdev_handle;

#define DAXFS_BDEV_MODE (FMODE_READ | FMODE_EXCL)

static inline daxfs_bdev_handle *daxfs_bdev_open(const char *path, void *holder)
{
	return blkdev_get_by_path(path, DAXFS_BDEV_MODE, holder);
}

static inline struct block_device *daxfs_bdev(daxfs_bdev_handle *h)
{
	return h;
}

static inline void daxfs_bdev_close(daxfs_bdev_handle *h)
{
	blkdev_put(h, DAXFS_BDEV_MODE);
}
#endif

/*
 * 6.6: kill_dax() tells the holder of a dax_device that it is going away with
 * MF_MEM_PRE_REMOVE. From 5.19 to 6.5 it made the same call with no flags, for the whole
 * device (offset 0, length U64_MAX), which a memory failure never reports.
 */
static inline bool daxfs_mf_removal(u64 off, u64 len, int mf_flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return mf_flags & MF_MEM_PRE_REMOVE;
#else
	return off == 0 && len == U64_MAX;
#endif
}

/* 6.2: dma_buf_vmap() expects the reservation lock held; the _unlocked forms take it. */
static inline int daxfs_dma_buf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	return dma_buf_vmap_unlocked(dmabuf, map);
#else
	return dma_buf_vmap(dmabuf, map);
#endif
}

static inline void daxfs_dma_buf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	dma_buf_vunmap_unlocked(dmabuf, map);
#else
	dma_buf_vunmap(dmabuf, map);
#endif
}

/* 6.3: vma->vm_flags is changed only through vm_flags_set() and friends. */
static inline void daxfs_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * 6.5: copy_splice_read() splices through ->read_iter; before, generic_file_splice_read() did
 * that itself (through a pipe iterator), never through a page cache.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define daxfs_splice_read copy_splice_read
#else
#define daxfs_splice_read generic_file_splice_read
#endif

/*
 * 6.6: ->huge_fault(vmf, order) replaced ->huge_fault(vmf, enum page_entry_size) (file.c adapts
 * the one to the other) and <linux/pgtable.h> got PMD_ORDER.
 */
#ifndef PMD_ORDER
#define PMD_ORDER (PMD_SHIFT - PAGE_SHIFT)
#endif

/*
 * 6.2: a PMD is read without its lock with pmdp_get_lockless() (mf.c); 6.1 has
 * pmd_read_atomic(), a plain read on 64-bit: read it once there.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
static inline pmd_t pmdp_get_lockless(pmd_t *pmdp)
{
#ifdef CONFIG_64BIT
	return READ_ONCE(*pmdp);
#else
	return pmd_read_atomic(pmdp);
#endif
}
#endif

/* 6.3: kvfree_rcu() of one argument is kvfree_rcu_mightsleep() (6.1.y has it from a backport). */
#ifndef kvfree_rcu_mightsleep
#define kvfree_rcu_mightsleep(ptr) kvfree_rcu(ptr)
#endif

/*
 * 6.15: badblocks_set() returns true when it recorded the range (commit c8775aefba95,
 * "badblocks: return boolean from badblocks_set() and badblocks_clear()"); before, 0 did.
 * Either way a full table (or badblocks disabled) is a failure.
 */
static inline bool daxfs_badblocks_set(struct badblocks *bb, sector_t s, int sectors)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
	return badblocks_set(bb, s, sectors, 1);
#else
	return !badblocks_set(bb, s, sectors, 1);
#endif
}

/* 6.13: symbol namespaces are string literals. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define DAXFS_IMPORT_NS_DMA_BUF() MODULE_IMPORT_NS("DMA_BUF")
#else
#define DAXFS_IMPORT_NS_DMA_BUF() MODULE_IMPORT_NS(DMA_BUF)
#endif

/* 6.17: struct fileattr (->fileattr_get) became struct file_kattr. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
typedef struct file_kattr daxfs_fileattr;
#else
typedef struct fileattr daxfs_fileattr;
#endif

/* 6.18: generic_delete_inode() (drop an inode at its last iput) is inode_just_drop(). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
#define daxfs_drop_inode inode_just_drop
#else
#define daxfs_drop_inode generic_delete_inode
#endif

/* 6.19: inode->i_state is read through accessors (a struct since 7.0). */
static inline unsigned long daxfs_inode_state(struct inode *inode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
	return inode_state_read_once(inode);
#else
	return READ_ONCE(inode->i_state);
#endif
}

/*
 * What a source's page frames are, for mapping them into processes (file.c):
 *
 * - DAXFS_PFN_RAW: frames with no memory map that daxfs may rely on (phys=, device-dax once its
 *   driver is gone): special PTEs only, which get_user_pages() refuses and every page-table
 *   walker skips. Device-dax is RAW by default. Never in a PMD: 6.1 has no special PMD (a
 *   huge PMD there is taken for a transparent huge page, and GUP would grab its "struct page"), and 6.12's special PMD is
 *   still read through pmd_page() by /proc/PID/pagemap and clear_refs and madvise(MADV_COLD)
 *   in a VM_MIXEDMAP vma (only VM_PFNMAP is skipped), which for memory without a memory map
 *   dereferences a struct page that does not exist.
 * - DAXFS_PFN_DEVPAGE: device pages (ZONE_DEVICE, with a live dev_pagemap): fsdax pmem with its
 *   memory map when daxfs is the dax_device's holder (a removal zaps the mappings before the
 *   memory map goes; with another holder: RAW, holder.c), device-dax while device_dax is bound
 *   and only with -o devpages (GUP can pin a device page, and device_dax's unbind frees the
 *   memory map whatever the pins: holder.c; fsdax has the same exposure as the kernel's own
 *   dax filesystems, docs/daxfs.md "Huge pages").
 *   Mapped as devmap PTEs and PMDs before 6.15 (what fs/dax.c and device_dax mapped them as;
 *   GUP takes the page through its pagemap), as special ones from 6.17 (no devmap mark any
 *   more). 6.15 and 6.16 reworked ZONE_DEVICE refcounts (fs/dax.c maps fsdax pages with
 *   vmf_insert_page_mkwrite/vmf_insert_folio_pmd, and an fsdax page nobody mapped so sits at
 *   refcount 0): a devmap PTE of such a page, which GUP-fast would try to grab, trips the
 *   refcount WARN in try_grab_folio. There daxfs maps device pages as raw frames
 *   (DAXFS_DEVMAP_OK): 4 KiB special PTEs, no PMD.
 *
 * (dma-buf pages are inserted as pages, or as RAW frames where they are a page cache's: dmabuf.c.)
 * The zero value is RAW.
 *
 * 6.17: pfn_t is gone. The mapping calls (vmf_insert_mixed, vmf_insert_pfn_pmd) and
 * dax_direct_access() take a plain pfn, and ZONE_DEVICE pages lost their "devmap" mark.
 */
enum daxfs_pfn_kind { DAXFS_PFN_RAW, DAXFS_PFN_DEVPAGE };

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
typedef unsigned long daxfs_pfn_t;	/* what dax_direct_access() fills */

static inline daxfs_pfn_t daxfs_mkpfn(unsigned long pfn, enum daxfs_pfn_kind kind)
{
	return pfn;
}

static inline unsigned long daxfs_pfn_val(daxfs_pfn_t pfn)
{
	return pfn;
}

/* A frame dax_direct_access() returned: a device page where the memory map covers it. */
static inline enum daxfs_pfn_kind daxfs_dax_pfn_kind(daxfs_pfn_t pfn)
{
	return pfn_valid(pfn) ? DAXFS_PFN_DEVPAGE : DAXFS_PFN_RAW;
}
#else
#include <linux/pfn_t.h>
typedef pfn_t daxfs_pfn_t;

/* Devmap PTEs/PMDs of device pages: before the 6.15 ZONE_DEVICE refcount rework (above). */
#define DAXFS_DEVMAP_OK (LINUX_VERSION_CODE < KERNEL_VERSION(6, 15, 0))

static inline daxfs_pfn_t daxfs_mkpfn(unsigned long pfn, enum daxfs_pfn_kind kind)
{
	return __pfn_to_pfn_t(pfn, kind == DAXFS_PFN_DEVPAGE && DAXFS_DEVMAP_OK ?
			      PFN_DEV | PFN_MAP : PFN_DEV);
}

static inline unsigned long daxfs_pfn_val(daxfs_pfn_t pfn)
{
	return pfn_t_to_pfn(pfn);
}

static inline enum daxfs_pfn_kind daxfs_dax_pfn_kind(daxfs_pfn_t pfn)
{
	return DAXFS_DEVMAP_OK && pfn_t_devmap(pfn) ? DAXFS_PFN_DEVPAGE : DAXFS_PFN_RAW;
}
#endif

/* Whether a frame of this kind may be mapped by a PMD (see above). */
static inline bool daxfs_pfn_huge(enum daxfs_pfn_kind kind)
{
#ifdef DAXFS_DEVMAP_OK
	if (!DAXFS_DEVMAP_OK)
		return false;
#endif
	return kind == DAXFS_PFN_DEVPAGE;
}

#endif /* _DAXFS_COMPAT_H */
