/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daxfs.h - internal definitions of the daxfs module.
 *
 * The image lives in memory other hosts (or a dma-buf's other holders) can write at any time.
 * At mount, its metadata (superblock, inode/dirent/xattr tables, string pool) is copied into
 * kernel memory and that private snapshot is validated (format/validate.c, shared with
 * userspace); after that every offset, length and inode number the code below uses comes from
 * the snapshot and is known to be inside the image. The shared memory is only ever read for
 * file data, inside extents the snapshot proved to be within the image.
 */
#ifndef _DAXFS_H
#define _DAXFS_H

#include <linux/fs.h>
#include <linux/iosys-map.h>
#include <linux/kobject.h>
#include <linux/completion.h>
#include <linux/xarray.h>
#include <linux/mutex.h>
#include <linux/siphash.h>
#include "format/daxfs_format.h"
#include "compat.h"

enum daxfs_source_kind {
	DAXFS_SRC_BDEV,		/* fsdax block device (/dev/pmemN) through its dax_device */
	DAXFS_SRC_PHYS,		/* reserved physical range (phys=, size=) */
	DAXFS_SRC_DMABUF,	/* dma-buf fd (fsconfig FSCONFIG_SET_FD "dmabuf"), vmapped */
	DAXFS_SRC_DEVDAX,	/* device-dax instance (/dev/daxX.Y) through its physical range */
};

struct daxfs_phys_claim;

struct daxfs_source {
	enum daxfs_source_kind kind;
	const u8 *kaddr;	/* kernel address of the image's first byte */
	u64 len;		/* bytes available from kaddr to the end of the source */
	phys_addr_t phys;	/* physical address of the image's first byte */
	/* What its page frames are (compat.h); device-dax: DEVPAGE while device_dax is bound,
	 * then RAW (changed by holder.c under the device lock, read with READ_ONCE). */
	enum daxfs_pfn_kind pfn_kind;
	daxfs_bdev_handle *bdev;	/* the open fsdax block device (compat.h) */
	struct dax_device *dax_dev;
	u64 dax_off;		/* fsdax: byte offset of the image's first byte in dax_dev */
	void *memremap_addr;
	struct file *devdax_file;	/* the open /dev/daxX.Y */
	struct daxfs_phys_claim *phys_claim;	/* phys=: the range held in iomem */
	struct dma_buf *dmabuf;
	struct iosys_map map;
	struct page **pages;	/* dma-buf: the buffer's pages, looked up once at mount */
	u64 npages;
	/* dma-buf: every page may be inserted as a page; else all are raw frames (dmabuf.c) */
	bool pages_mappable;
};

struct daxfs_holder;

struct daxfs_sb_info {
	struct daxfs_source src;
	struct super_block *sb;
	char *source;		/* the mount's source, for messages */
	struct daxfs_holder *holder;	/* shared by the mounts of one device (holder.c) */
	struct list_head holder_node;
	bool nb_user;		/* counted as a user of the dax bus notifier */
	bool dead;		/* revoked: the memory is gone or going, touch nothing */
	bool revoked;		/* marked dead by the revocation in progress (holder.c) */
	bool ready;		/* snapshot in place (under the holder registry's lock) */
	void *meta;		/* the validated metadata snapshot (kvmalloc) */
	const struct daxfs_super *super;
	const struct daxfs_inode *inodes;
	const struct daxfs_dirent *dirents;
	const struct daxfs_xattr *xattrs;
	const u8 *strs;
	u64 total_size;
	/* mount options */
	u64 offset;
	u64 phys;
	u64 phys_size;
	bool offset_set;
	bool phys_set;
	bool size_set;
	bool dmabuf_flag;	/* remount: the bare "dmabuf" of show_options */
	bool trusted;		/* honour setuid/setgid, file capabilities, device nodes */
	bool devpages;		/* device-dax mapped as device pages, with PMDs (holder.c) */
	/* cache invalidation (inval.c): per inode number, its extent's lines dropped / being */
	unsigned long *inval_done;
	unsigned long *inval_busy;
	atomic64_t inval_bytes;	/* bytes invalidated since the mount */
	atomic64_t inval_skipped;	/* pages not invalidated: the device reports them bad */
	/* test hook (check_invalidation): pages invalidated, pages served before that */
	unsigned long *inval_pages;
	spinlock_t inval_lock;	/* serialises the test hook's bitmap_set on inval_pages */
	atomic64_t inval_stale;
	bool inval_checked;
	struct xarray dir_index;	/* big directories' hash indexes (dirindex.c) */
	struct mutex dir_index_lock;	/* one index build at a time */
	siphash_key_t dir_key;		/* the indexes' hash key, random per mount */
	struct dma_buf *dmabuf;	/* from the "dmabuf" fd option, until the source takes it */
	/* /sys/fs/daxfs/MAJOR:MINOR (sysfs.c) */
	struct kobject kobj;
	struct completion kobj_released;
	bool kobj_added;
};

static inline struct daxfs_sb_info *DAXFS_SB(struct super_block *sb)
{
	return sb->s_fs_info;
}

/* The on-media record of an inode (valid: ino was checked at iget). */
static inline const struct daxfs_inode *daxfs_di(const struct inode *inode)
{
	return &DAXFS_SB(inode->i_sb)->inodes[inode->i_ino - 1];
}

static inline const u8 *daxfs_str(struct daxfs_sb_info *sbi, u64 pool_off)
{
	return sbi->strs + pool_off;
}

/* source.c */
int daxfs_source_open(struct fs_context *fc, struct daxfs_sb_info *sbi);
void daxfs_source_close(struct daxfs_source *src);
daxfs_pfn_t daxfs_source_pfn(const struct daxfs_source *src, u64 off,
			     enum daxfs_pfn_kind *kind);
u64 daxfs_source_readable(const struct daxfs_source *src, u64 off, u64 len, int *err);

/* dmabuf.c */
int daxfs_open_dmabuf(struct fs_context *fc, struct daxfs_sb_info *sbi);
struct page *daxfs_source_page(const struct daxfs_source *src, u64 off);
void daxfs_dmabuf_close(struct daxfs_source *src);

/* inval.c */
int daxfs_source_invalidate(struct daxfs_sb_info *sbi, u64 start, u64 end);
int daxfs_inval_init(struct daxfs_sb_info *sbi);
void daxfs_inval_free(struct daxfs_sb_info *sbi);
int daxfs_data_ready(struct inode *inode);
void daxfs_inval_check(struct daxfs_sb_info *sbi, u64 off, u64 len);

/* holder.c */
struct daxfs_access {
	int srcu;
	int dax;
};

bool daxfs_access_begin(struct daxfs_sb_info *sbi, struct daxfs_access *a);
void daxfs_access_end(struct daxfs_sb_info *sbi, struct daxfs_access *a);
int daxfs_holder_attach_bdev(struct daxfs_sb_info *sbi, struct block_device *bdev);
bool daxfs_holder_notified(const struct daxfs_sb_info *sbi);
int daxfs_holder_attach_devdax(struct daxfs_sb_info *sbi, struct device *dev, phys_addr_t start,
			       u64 size);
void daxfs_holder_ready(struct daxfs_sb_info *sbi);
void daxfs_holder_detach(struct daxfs_sb_info *sbi);
void daxfs_holder_put(struct daxfs_sb_info *sbi);

/* mf.c: early kill on a memory failure */
struct daxfs_mf {
	struct list_head maps;	/* mappings of the poisoned pages found so far */
	unsigned int lost;	/* mappings found but not recorded (no memory) */
};

void daxfs_mf_init(struct daxfs_mf *mf);
void daxfs_mf_collect(struct daxfs_mf *mf, struct address_space *mapping, pgoff_t first,
		      pgoff_t last, unsigned long pfn_first);
unsigned int daxfs_mf_kill(struct daxfs_mf *mf, int mf_flags);

/* inode.c */
struct inode *daxfs_iget(struct super_block *sb, u32 ino);
struct posix_acl *daxfs_get_inode_acl(struct inode *inode, int type, bool rcu);
struct posix_acl *daxfs_get_acl(daxfs_idmap *idmap, struct dentry *dentry, int type);
int daxfs_getattr(daxfs_idmap *idmap, const struct path *path, struct kstat *stat,
		  u32 request_mask, unsigned int query_flags);
int daxfs_fileattr_get(struct dentry *dentry, daxfs_fileattr *fa);
extern const struct export_operations daxfs_export_ops;
long daxfs_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* dirindex.c */
s64 daxfs_dir_find(struct inode *dir, const u8 *name, u32 len);
void daxfs_dir_index_init(struct daxfs_sb_info *sbi);
void daxfs_dir_index_free(struct daxfs_sb_info *sbi);

/* dir.c */
extern const struct inode_operations daxfs_dir_iops;
extern const struct file_operations daxfs_dir_fops;

/* file.c */
extern const struct inode_operations daxfs_file_iops;
extern const struct file_operations daxfs_file_fops;
extern const struct address_space_operations daxfs_aops;

/* fiemap.c */
int daxfs_fiemap(struct inode *inode, struct fiemap_extent_info *fieinfo, u64 start, u64 len);

/* sysfs.c */
int daxfs_sysfs_register(struct super_block *sb);
void daxfs_sysfs_unregister(struct daxfs_sb_info *sbi);
int daxfs_sysfs_init(void);
void daxfs_sysfs_exit(void);

/* vmaccess.c */
int daxfs_vm_access(struct vm_area_struct *vma, unsigned long addr, void *buf, int len,
		    int write);

/* xattr.c */
extern const struct xattr_handler * DAXFS_XATTR_HANDLERS_CONST daxfs_xattr_handlers[];
ssize_t daxfs_listxattr(struct dentry *dentry, char *buffer, size_t size);
const void *daxfs_xattr_find(struct inode *inode, const char *name, u32 *len);

#endif /* _DAXFS_H */
