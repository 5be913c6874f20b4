// SPDX-License-Identifier: GPL-2.0-only
/*
 * daxfs: a read-only filesystem that lives directly in DAX memory.
 *
 * super.c - mount (new mount API), validation of the image, statfs, options, module glue.
 */
#define pr_fmt(fmt) "daxfs: " fmt

#include <linux/dma-buf.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include "daxfs.h"

enum { Opt_offset, Opt_phys, Opt_size, Opt_dmabuf, Opt_dmabuf_flag, Opt_trusted,
       Opt_devpages };

static const struct fs_parameter_spec daxfs_param_spec[] = {
	fsparam_u64("offset", Opt_offset),
	fsparam_u64("phys", Opt_phys),
	fsparam_u64("size", Opt_size),
	fsparam_fd("dmabuf", Opt_dmabuf),
	/* The bare "dmabuf" show_options prints, replayed by mount(8) on a remount. */
	fsparam_flag("dmabuf", Opt_dmabuf_flag),
	/* Honour setuid/setgid bits, file capabilities and device nodes (see daxfs_fill_super). */
	fsparam_flag("trusted", Opt_trusted),
	/* Map device-dax as device pages with PMDs (holder.c): pinnable, for trusted setups. */
	fsparam_flag("devpages", Opt_devpages),
	{}
};

static int daxfs_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct daxfs_sb_info *sbi = fc->s_fs_info;
	struct fs_parse_result result;
	int opt;

	opt = fs_parse(fc, daxfs_param_spec, param, &result);
	if (opt < 0)
		return opt;
	switch (opt) {
	case Opt_offset:
		sbi->offset = result.uint_64;
		sbi->offset_set = true;
		break;
	case Opt_phys:
		sbi->phys = result.uint_64;
		sbi->phys_set = true;
		break;
	case Opt_size:
		sbi->phys_size = result.uint_64;
		sbi->size_set = true;
		break;
	case Opt_dmabuf: {
		struct dma_buf *dmabuf;

		if (fc->purpose == FS_CONTEXT_FOR_RECONFIGURE)
			return invalfc(fc, "dmabuf cannot change on remount");
		if (sbi->dmabuf)
			return invalfc(fc, "dmabuf given twice");
		dmabuf = dma_buf_get(result.uint_32);
		if (IS_ERR(dmabuf))
			return invalfc(fc, "dmabuf: fd %u is not a dma-buf", result.uint_32);
		sbi->dmabuf = dmabuf;
		break;
	}
	case Opt_dmabuf_flag:
		if (fc->purpose != FS_CONTEXT_FOR_RECONFIGURE)
			return invalfc(fc, "dmabuf needs a dma-buf fd (fsconfig FSCONFIG_SET_FD)");
		sbi->dmabuf_flag = true;
		break;
	case Opt_trusted:
		sbi->trusted = true;
		break;
	case Opt_devpages:
		sbi->devpages = true;
		break;
	}
	return 0;
}

static int daxfs_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct super_block *sb = dentry->d_sb;
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	buf->f_type = DAXFS_SUPER_MAGIC;
	buf->f_bsize = DAXFS_BLOCK_SIZE;
	buf->f_frsize = DAXFS_BLOCK_SIZE;
	buf->f_blocks = sbi->total_size / DAXFS_BLOCK_SIZE;
	buf->f_bfree = 0;
	buf->f_bavail = 0;
	buf->f_files = le32_to_cpu(sbi->super->inode_count);
	buf->f_ffree = 0;
	buf->f_namelen = DAXFS_NAME_MAX;
	buf->f_fsid = uuid_to_fsid((u8 *)sbi->super->uuid);	/* the snapshot */
	return 0;
}

static int daxfs_show_options(struct seq_file *m, struct dentry *root)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(root->d_sb);

	if (sbi->phys_set)
		seq_printf(m, ",phys=%#llx,size=%#llx", sbi->phys, sbi->phys_size);
	if (sbi->src.kind == DAXFS_SRC_DMABUF)
		seq_puts(m, ",dmabuf");
	if (sbi->offset)
		seq_printf(m, ",offset=%llu", sbi->offset);
	if (sbi->trusted)
		seq_puts(m, ",trusted");
	if (sbi->devpages)
		seq_puts(m, ",devpages");
	return 0;
}

static const struct super_operations daxfs_sops = {
	.statfs = daxfs_statfs,
	.show_options = daxfs_show_options,
	.drop_inode = daxfs_drop_inode,
};

/*
 * Allocations sized by the image (the metadata snapshot, the validator's link counters) may be
 * large: fail rather than invoke the OOM killer, and report the failure ourselves.
 */
#define DAXFS_GFP_IMAGE	(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

static void *daxfs_zalloc(size_t size, void *ctx)
{
	return kvzalloc(size, DAXFS_GFP_IMAGE);
}

static void daxfs_free(void *ptr, void *ctx)
{
	kvfree(ptr);
}

static const struct daxfs_alloc daxfs_kalloc = {
	.zalloc = daxfs_zalloc,
	.free = daxfs_free,
};

/*
 * Copy the image's first len bytes, unless the device is already going away (-ENXIO) or has a
 * bad block there (-EIO): 2 MiB per device-access section (a removal waits for one chunk),
 * rescheduling between chunks.
 */
static int daxfs_copy_in(struct daxfs_sb_info *sbi, void *dst, size_t len)
{
	struct daxfs_access a;
	size_t done = 0;
	int err;

	while (done < len) {
		size_t n = min_t(size_t, len - done, SZ_2M);
		unsigned long left;

		if (!daxfs_access_begin(sbi, &a))
			return -ENXIO;
		/* The device's list of bad blocks first (fsdax): copy_mc only sees real poison. */
		if (daxfs_source_readable(&sbi->src, done, n, &err) < n)
			left = n;
		else
			left = copy_mc_to_kernel(dst + done, sbi->src.kaddr + done, n);
		daxfs_access_end(sbi, &a);
		if (err)
			return err;	/* -EIO: a bad block; -ENXIO: the device failed */
		if (left)
			return -EIO;
		done += n;
		cond_resched();
	}
	return 0;
}

/*
 * Copy the metadata out of the shared memory (machine-check safe) and validate the copy. Only
 * the copy is trusted afterwards: nobody else can change it.
 *
 * The superblock is checked on its own first: the size of the snapshot comes from it, and only
 * a superblock with a good checksum and consistent geometry (metadata end <= data_off <=
 * total_size <= the source) may size an allocation. Before each part is read, this host's
 * cached copies of it are dropped (inval.c: another host may have written the image since
 * this one last read that memory).
 */
static int daxfs_snapshot(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	const char *src = fc->source ?: "(no source)";
	struct daxfs_super head;
	struct daxfs_verr verr;
	u64 meta_end;
	int err;

	if (sbi->src.len < DAXFS_META_OFF) {
		pr_err("%s: invalid image at offset %llu: only %llu bytes in the source\n", src,
		       sbi->offset, sbi->src.len);
		return -EUCLEAN;
	}
	err = daxfs_source_invalidate(sbi, 0, DAXFS_META_OFF);
	if (!err)
		err = daxfs_copy_in(sbi, &head, sizeof(head));
	if (err)
		goto copy_err;
	if (daxfs_validate_super(&head, sbi->src.len, &verr) != DAXFS_OK)
		goto invalid;
	/* A page of a file mapped here must hold nothing but that file (docs/format.md). */
	if (!(daxfs_page_sizes(&head) & PAGE_SIZE)) {
		pr_err("%s: image at offset %llu supports page sizes %#x, this kernel's pages are %lu bytes: not mounted\n",
		       src, sbi->offset, daxfs_page_sizes(&head), PAGE_SIZE);
		return -EINVAL;
	}
	/* Cannot overflow and is at most the source's length: the superblock check says so. */
	meta_end = le64_to_cpu(head.str_off) + le64_to_cpu(head.str_size);
	err = daxfs_source_invalidate(sbi, DAXFS_META_OFF, meta_end);
	if (err)
		goto copy_err;
	sbi->meta = kvmalloc(meta_end, DAXFS_GFP_IMAGE);
	if (!sbi->meta) {
		pr_err("%s: image at offset %llu: cannot allocate %llu bytes for its metadata\n",
		       src, sbi->offset, meta_end);
		return -ENOMEM;
	}
	/* If the superblock changed since, the validator sees metadata past what was copied. */
	err = daxfs_copy_in(sbi, sbi->meta, meta_end);
	if (err)
		goto copy_err;
	if (daxfs_validate_meta(sbi->meta, meta_end, sbi->src.len, &daxfs_kalloc, &verr) !=
	    DAXFS_OK)
		goto invalid;
	/*
	 * File data is not invalidated here: each file's extent is, once, before its first byte
	 * is served (inval.c), so a mount costs the same whatever the size of the image's data.
	 */
	return 0;
invalid:
	pr_err("%s: invalid image at offset %llu: %s\n", src, sbi->offset, verr.msg);
	return verr.code == DAXFS_E_NOMEM ? -ENOMEM : -EUCLEAN;
copy_err:
	if (err == -ENXIO)
		pr_err("%s: the device went away while mounting\n", src);
	else
		pr_err("%s: bad block or memory error in the image's metadata at offset %llu: not mounted\n",
		       src, sbi->offset);
	return err;
}

static int daxfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct daxfs_sb_info *sbi = sb->s_fs_info;
	const struct daxfs_super *ds;
	struct inode *root;
	int err;

	sbi->sb = sb;
	if (fc->source) {
		sbi->source = kstrdup(fc->source, GFP_KERNEL);
		if (!sbi->source)
			return -ENOMEM;
	}
	err = daxfs_source_open(fc, sbi);
	if (err)
		return err;
	err = daxfs_snapshot(fc, sbi);
	if (err)
		return err;
	ds = sbi->meta;
	sbi->super = ds;
	sbi->total_size = le64_to_cpu(ds->total_size);
	sbi->inodes = sbi->meta + le64_to_cpu(ds->meta_off);
	sbi->dirents = sbi->meta + le64_to_cpu(ds->dirent_off);
	sbi->xattrs = sbi->meta + le64_to_cpu(ds->xattr_off);
	sbi->strs = sbi->meta + le64_to_cpu(ds->str_off);
	err = daxfs_inval_init(sbi);
	if (err) {
		pr_err("%s: cannot allocate the mount's invalidation bitmaps\n",
		       sbi->source ?: "daxfs");
		return err;
	}
	if (sbi->holder)
		daxfs_holder_ready(sbi);

	sb->s_magic = DAXFS_SUPER_MAGIC;
	sb->s_op = &daxfs_sops;
	sb->s_xattr = daxfs_xattr_handlers;
	sb->s_export_op = &daxfs_export_ops;
	/* Stored system.posix_acl_* xattrs are enforced (inode.c, daxfs_get_inode_acl). */
	sb->s_flags |= SB_RDONLY | SB_NOATIME | SB_NODIRATIME | SB_POSIXACL;
	/*
	 * Whoever can write the memory (other hosts, the dma-buf's other holders) can change file
	 * data and, between mounts, the whole image: unless the mounter says its writers are
	 * trusted, the image grants no privilege. Device nodes cannot be opened (SB_I_NODEV, as on
	 * a nodev mount); setuid/setgid bits of regular files are not served (inode.c) and
	 * security.capability is hidden (xattr.c), the two things a nosuid mount ignores.
	 */
	if (!sbi->trusted)
		sb->s_iflags |= SB_I_NODEV;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_time_gran = 1;
	daxfs_set_uuid(sb, ds->uuid, sizeof(ds->uuid));

	root = daxfs_iget(sb, DAXFS_ROOT_INO);
	if (IS_ERR(root))
		return PTR_ERR(root);
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		return -ENOMEM;
	return daxfs_sysfs_register(sb);
}

static int daxfs_get_tree(struct fs_context *fc)
{
	/*
	 * Written and tested for 4 KiB pages only; each image also says which page sizes its
	 * layout supports (page_sizes, checked in daxfs_snapshot).
	 */
	if (PAGE_SIZE != DAXFS_BLOCK_SIZE)
		return invalfc(fc, "images are made of %u-byte blocks, pages here are %lu bytes: not supported",
			       DAXFS_BLOCK_SIZE, PAGE_SIZE);
	/* Always read-only, like EROFS and SquashFS: a mount without ro is one. */
	fc->sb_flags |= SB_RDONLY;
	return get_tree_nodev(fc, daxfs_fill_super);
}

static int daxfs_reconfigure(struct fs_context *fc)
{
	struct daxfs_sb_info *cur = DAXFS_SB(fc->root->d_sb), *new = fc->s_fs_info;

	if ((fc->sb_flags_mask & SB_RDONLY) && !(fc->sb_flags & SB_RDONLY))
		return invalfc(fc, "daxfs is read-only: it cannot be remounted read-write");
	/* mount(8) may pass the current options back on remount: accept them, refuse changes. */
	if ((new->offset_set && new->offset != cur->offset) ||
	    (new->phys_set && (!cur->phys_set || new->phys != cur->phys)) ||
	    (new->size_set && new->phys_size != cur->phys_size))
		return invalfc(fc, "offset=, phys= and size= cannot change on remount");
	/* Inodes in memory were set up for the mount's trust: it cannot change. */
	if (new->trusted && !cur->trusted)
		return invalfc(fc, "trusted cannot be added on remount");
	/* How device-dax is mapped was chosen at mount (holder.c). */
	if (new->devpages && !cur->devpages)
		return invalfc(fc, "devpages cannot be added on remount");
	if (new->dmabuf_flag && cur->src.kind != DAXFS_SRC_DMABUF)
		return invalfc(fc, "dmabuf: not a dma-buf mount");
	return 0;
}

static void daxfs_free_fc(struct fs_context *fc)
{
	struct daxfs_sb_info *sbi = fc->s_fs_info;

	/* Still set only if no superblock took it (failed mount) or for a reconfiguration. */
	if (sbi && sbi->dmabuf)
		dma_buf_put(sbi->dmabuf);
	kfree(sbi);
}

static const struct fs_context_operations daxfs_context_ops = {
	.parse_param = daxfs_parse_param,
	.get_tree = daxfs_get_tree,
	.reconfigure = daxfs_reconfigure,
	.free = daxfs_free_fc,
};

static int daxfs_init_fs_context(struct fs_context *fc)
{
	struct daxfs_sb_info *sbi;

	/* Also for a reconfiguration: the parsed options are compared with the mounted ones. */
	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi)
		return -ENOMEM;
	INIT_LIST_HEAD(&sbi->holder_node);
	daxfs_dir_index_init(sbi);
	fc->s_fs_info = sbi;
	fc->ops = &daxfs_context_ops;
	return 0;
}

static void daxfs_kill_sb(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = sb->s_fs_info;

	/* Leave the device's holder first: a revocation walks this superblock's inodes. */
	if (sbi) {
		daxfs_sysfs_unregister(sbi);
		daxfs_holder_detach(sbi);
	}
	kill_anon_super(sb);
	if (sbi) {
		daxfs_source_close(&sbi->src);
		daxfs_holder_put(sbi);
		kfree(sbi->source);
		if (sbi->dmabuf)	/* the source never took it: the mount failed before */
			dma_buf_put(sbi->dmabuf);
		/*
		 * Symlinks' i_link point into the snapshot, and an RCU path walk may still be
		 * following one (it does not pin the mount): free after a grace period.
		 */
		kvfree_rcu_mightsleep(sbi->meta);
		daxfs_inval_free(sbi);
		daxfs_dir_index_free(sbi);
		kfree(sbi);
	}
}

static struct file_system_type daxfs_fs_type = {
	.owner = THIS_MODULE,
	.name = "daxfs",
	.init_fs_context = daxfs_init_fs_context,
	.parameters = daxfs_param_spec,
	.kill_sb = daxfs_kill_sb,
};
MODULE_ALIAS_FS("daxfs");

static int __init daxfs_init(void)
{
	int err = daxfs_sysfs_init();

	if (err)
		return err;
	err = register_filesystem(&daxfs_fs_type);
	if (err)
		daxfs_sysfs_exit();
	return err;
}

static void __exit daxfs_exit(void)
{
	unregister_filesystem(&daxfs_fs_type);
	daxfs_sysfs_exit();
}

module_init(daxfs_init);
module_exit(daxfs_exit);
MODULE_LICENSE("GPL");
DAXFS_IMPORT_NS_DMA_BUF();
MODULE_DESCRIPTION("daxfs: read-only filesystem in DAX memory");
