// SPDX-License-Identifier: GPL-2.0-only
/*
 * inode.c - in-core inodes from the fixed-size inode table (iget is one multiplication).
 */
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include "daxfs.h"

static const struct inode_operations daxfs_symlink_iops = {
	.get_link = simple_get_link,
	.listxattr = daxfs_listxattr,
};

static const struct inode_operations daxfs_special_iops = {
	.listxattr = daxfs_listxattr,
};

struct inode *daxfs_iget(struct super_block *sb, u32 ino)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	const struct daxfs_inode *di;
	struct timespec64 t;
	struct inode *inode;
	u64 data, size;
	u32 mode;

	if (ino < DAXFS_ROOT_INO || ino > le32_to_cpu(sbi->super->inode_count))
		return ERR_PTR(-EUCLEAN);
	inode = iget_locked(sb, ino);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	if (!(inode->i_state & I_NEW))
		return inode;

	di = &sbi->inodes[ino - 1];
	mode = le16_to_cpu(di->mode);
	size = le64_to_cpu(di->size);
	data = le64_to_cpu(di->data);
	inode->i_mode = mode;
	i_uid_write(inode, le32_to_cpu(di->uid));
	i_gid_write(inode, le32_to_cpu(di->gid));
	set_nlink(inode, le32_to_cpu(di->nlink));
	t.tv_sec = (s64)le64_to_cpu(di->mtime_sec);
	t.tv_nsec = le32_to_cpu(di->mtime_nsec);
	inode_set_mtime_to_ts(inode, t);
	inode_set_atime_to_ts(inode, t);
	inode_set_ctime_to_ts(inode, t);

	switch (mode & S_IFMT) {
	case S_IFREG:
		inode->i_size = size;
		/* The extent: whole pages of the image. */
		inode->i_blocks = round_up(size, DAXFS_BLOCK_SIZE) >> 9;
		inode->i_op = &daxfs_file_iops;
		inode->i_fop = &daxfs_file_fops;
		inode->i_mapping->a_ops = &daxfs_aops;
		inode->i_flags |= S_DAX;
		break;
	case S_IFDIR:
		/* size is the number of entries; report what readdir emits, as bytes-ish. */
		inode->i_size = (size + 2) * sizeof(struct daxfs_dirent);
		inode->i_op = &daxfs_dir_iops;
		inode->i_fop = &daxfs_dir_fops;
		break;
	case S_IFLNK:
		inode->i_size = size;
		inode->i_link = (char *)daxfs_str(sbi, data);
		inode->i_op = &daxfs_symlink_iops;
		break;
	default:
		inode->i_op = &daxfs_special_iops;
		init_special_inode(inode, mode, MKDEV((u32)(data >> 32), (u32)data));
		break;
	}
	unlock_new_inode(inode);
	return inode;
}
