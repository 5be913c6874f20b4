// SPDX-License-Identifier: GPL-2.0-only
/*
 * dir.c - directories: entries sorted by name bytes, so lookup is a binary search (or a hash
 * index for big directories, dirindex.c); the readdir position of entry i is i + 2 (0 and 1
 * are "." and ".."), stable and resumable in O(1).
 */
#include <linux/fs.h>
#include "daxfs.h"

static struct dentry *daxfs_lookup(struct inode *dir, struct dentry *dentry, unsigned int flags)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(dir->i_sb);
	struct inode *inode = NULL;
	s64 i;

	if (dentry->d_name.len > DAXFS_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	/* Binary search, or the directory's hash index when it is big (dirindex.c). */
	i = daxfs_dir_find(dir, dentry->d_name.name, dentry->d_name.len);
	if (i >= 0)
		inode = daxfs_iget(dir->i_sb, le32_to_cpu(sbi->dirents[i].ino));
	return d_splice_alias(inode, dentry);
}

static int daxfs_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *dir = file_inode(file);
	struct daxfs_sb_info *sbi = DAXFS_SB(dir->i_sb);
	const struct daxfs_inode *di = daxfs_di(dir);
	const struct daxfs_dirent *de = sbi->dirents + le64_to_cpu(di->data);
	u64 count = le64_to_cpu(di->size);

	if (!dir_emit_dots(file, ctx))
		return 0;
	while (ctx->pos >= 2 && ctx->pos - 2 < count) {
		const struct daxfs_dirent *e = &de[ctx->pos - 2];

		if (!dir_emit(ctx, (const char *)daxfs_str(sbi, le64_to_cpu(e->name_off)),
			      le16_to_cpu(e->name_len), le32_to_cpu(e->ino), e->type))
			return 0;
		ctx->pos++;
	}
	return 0;
}

const struct inode_operations daxfs_dir_iops = {
	.lookup = daxfs_lookup,
	.listxattr = daxfs_listxattr,
	.getattr = daxfs_getattr,
	DAXFS_ACL_IOPS,
	.fileattr_get = daxfs_fileattr_get,
};

const struct file_operations daxfs_dir_fops = {
	.llseek = generic_file_llseek,
	.read = generic_read_dir,
	.iterate_shared = daxfs_readdir,
	.unlocked_ioctl = daxfs_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};
