// SPDX-License-Identifier: GPL-2.0-only
/*
 * inode.c - in-core inodes from the fixed-size inode table (iget is one multiplication).
 */
#include <linux/fs.h>
#include <linux/fileattr.h>
#include <linux/kdev_t.h>
#include <linux/exportfs.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/xattr.h>
#include "daxfs.h"

/*
 * POSIX ACLs: the system.posix_acl_access/default xattrs the image stores (in the xattr format
 * of the initial user namespace, as getxattr gave them to the builder). The VFS caches what
 * this returns; a malformed ACL denies access (EUCLEAN) rather than fall back to the mode.
 */
static struct posix_acl *daxfs_acl(struct inode *inode, int type)
{
	const char *name;
	struct posix_acl *acl;
	const void *value;
	u32 len;

	switch (type) {
	case ACL_TYPE_ACCESS:
		name = XATTR_NAME_POSIX_ACL_ACCESS;
		break;
	case ACL_TYPE_DEFAULT:
		name = XATTR_NAME_POSIX_ACL_DEFAULT;
		break;
	default:
		return ERR_PTR(-EINVAL);
	}
	value = daxfs_xattr_find(inode, name, &len);
	if (!value)
		return NULL;
	acl = posix_acl_from_xattr(&init_user_ns, value, len);
	if (IS_ERR(acl))
		return ERR_PTR(-EUCLEAN);
	if (acl && posix_acl_valid(&init_user_ns, acl)) {
		posix_acl_release(acl);
		return ERR_PTR(-EUCLEAN);
	}
	return acl;
}

struct posix_acl *daxfs_get_inode_acl(struct inode *inode, int type, bool rcu)
{
	if (rcu)
		return ERR_PTR(-ECHILD);	/* parsing allocates */
	return daxfs_acl(inode, type);
}

struct posix_acl *daxfs_get_acl(daxfs_idmap *idmap, struct dentry *dentry, int type)
{
	return daxfs_acl(d_inode(dentry), type);
}

/* Nothing in the image can change through this mount: every inode is immutable. */
int daxfs_getattr(daxfs_idmap *idmap, const struct path *path, struct kstat *stat,
		  u32 request_mask, unsigned int query_flags)
{
	daxfs_fillattr(idmap, request_mask, d_inode(path->dentry), stat);
	stat->attributes |= STATX_ATTR_IMMUTABLE;
	stat->attributes_mask |= STATX_ATTR_IMMUTABLE;
	return 0;
}

/* FS_IOC_GETFLAGS, FS_IOC_FSGETXATTR: immutable (setting flags is not supported). */
int daxfs_fileattr_get(struct dentry *dentry, daxfs_fileattr *fa)
{
	fileattr_fill_flags(fa, FS_IMMUTABLE_FL);
	return 0;
}

static const struct inode_operations daxfs_symlink_iops = {
	.get_link = simple_get_link,
	.listxattr = daxfs_listxattr,
	.getattr = daxfs_getattr,
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	.get_acl = daxfs_get_acl,	/* the xattr; symlinks have no access ACL */
#endif
};

static const struct inode_operations daxfs_special_iops = {
	.listxattr = daxfs_listxattr,
	.getattr = daxfs_getattr,
	DAXFS_ACL_IOPS,
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
	if (!(daxfs_inode_state(inode) & I_NEW))
		return inode;

	di = &sbi->inodes[ino - 1];
	mode = le16_to_cpu(di->mode);
	/* Not trusted (super.c): setuid/setgid bits of the image grant nothing, are not shown. */
	if (!sbi->trusted && S_ISREG(mode))
		mode &= ~(S_ISUID | S_ISGID);
	size = le64_to_cpu(di->size);
	data = le64_to_cpu(di->data);
	inode->i_mode = mode;
	i_uid_write(inode, le32_to_cpu(di->uid));
	i_gid_write(inode, le32_to_cpu(di->gid));
	set_nlink(inode, le32_to_cpu(di->nlink));
	t.tv_sec = (s64)le64_to_cpu(di->mtime_sec);
	t.tv_nsec = le32_to_cpu(di->mtime_nsec);
	daxfs_set_times(inode, t);

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

/*
 * File handles (NFS export, name_to_handle_at/open_by_handle_at): the inode number, 32 bits,
 * generation 0 (an image never changes; the superblock's uuid tells images apart). A handle's
 * number is checked like any other: out of range is ESTALE, never a lookup past the table.
 */
static struct inode *daxfs_nfs_get_inode(struct super_block *sb, u64 ino, u32 generation)
{
	if (ino < DAXFS_ROOT_INO || ino > le32_to_cpu(DAXFS_SB(sb)->super->inode_count))
		return ERR_PTR(-ESTALE);
	return daxfs_iget(sb, ino);
}

static struct dentry *daxfs_fh_to_dentry(struct super_block *sb, struct fid *fid, int fh_len,
					 int fh_type)
{
	return generic_fh_to_dentry(sb, fid, fh_len, fh_type, daxfs_nfs_get_inode);
}

static struct dentry *daxfs_fh_to_parent(struct super_block *sb, struct fid *fid, int fh_len,
					 int fh_type)
{
	return generic_fh_to_parent(sb, fid, fh_len, fh_type, daxfs_nfs_get_inode);
}

/* A directory's parent is in its inode (validated: a directory numbered below it). */
static struct dentry *daxfs_get_parent(struct dentry *child)
{
	struct inode *dir = d_inode(child);

	return d_obtain_alias(daxfs_iget(dir->i_sb, le32_to_cpu(daxfs_di(dir)->parent)));
}

const struct export_operations daxfs_export_ops = {
	.encode_fh = DAXFS_ENCODE_FH,
	.fh_to_dentry = daxfs_fh_to_dentry,
	.fh_to_parent = daxfs_fh_to_parent,
	.get_parent = daxfs_get_parent,
};
