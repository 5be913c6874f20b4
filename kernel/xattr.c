// SPDX-License-Identifier: GPL-2.0-only
/*
 * xattr.c - extended attributes: each inode's are a sorted range of the xattr table, names
 * and values in the string pool. user.*, trusted.* (CAP_SYS_ADMIN) and security.* are served.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/xattr.h>
#include "daxfs.h"

static const struct daxfs_xattr *daxfs_xattr_range(struct inode *inode, u32 *count)
{
	const struct daxfs_inode *di = daxfs_di(inode);

	*count = le32_to_cpu(di->xattr_count);
	return DAXFS_SB(inode->i_sb)->xattrs + le64_to_cpu(di->xattr_index);
}

static int daxfs_xattr_get(const struct xattr_handler *handler, struct dentry *unused,
			   struct inode *inode, const char *suffix, void *buffer, size_t size)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	size_t plen = strlen(handler->prefix), slen = strlen(suffix);
	const struct daxfs_xattr *x;
	u32 i, count;

	x = daxfs_xattr_range(inode, &count);
	for (i = 0; i < count; i++, x++) {
		const u8 *name = daxfs_str(sbi, le64_to_cpu(x->off));
		u32 nlen = le16_to_cpu(x->name_len), vlen = le32_to_cpu(x->value_len);

		if (nlen != plen + slen || memcmp(name, handler->prefix, plen) ||
		    memcmp(name + plen, suffix, slen))
			continue;
		if (!buffer)
			return vlen;
		if (size < vlen)
			return -ERANGE;
		memcpy(buffer, name + nlen, vlen);
		return vlen;
	}
	return -ENODATA;
}

static bool daxfs_trusted_list(struct dentry *dentry)
{
	return capable(CAP_SYS_ADMIN);
}

static const struct xattr_handler daxfs_user_handler = {
	.prefix = XATTR_USER_PREFIX,
	.get = daxfs_xattr_get,
};

static const struct xattr_handler daxfs_trusted_handler = {
	.prefix = XATTR_TRUSTED_PREFIX,
	.get = daxfs_xattr_get,
	.list = daxfs_trusted_list,
};

static const struct xattr_handler daxfs_security_handler = {
	.prefix = XATTR_SECURITY_PREFIX,
	.get = daxfs_xattr_get,
};

const struct xattr_handler * const daxfs_xattr_handlers[] = {
	&daxfs_user_handler,
	&daxfs_trusted_handler,
	&daxfs_security_handler,
	NULL,
};

ssize_t daxfs_listxattr(struct dentry *dentry, char *buffer, size_t size)
{
	struct inode *inode = d_inode(dentry);
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	const struct daxfs_xattr *x;
	size_t used = 0;
	u32 i, count;

	x = daxfs_xattr_range(inode, &count);
	for (i = 0; i < count; i++, x++) {
		const char *name = (const char *)daxfs_str(sbi, le64_to_cpu(x->off));
		u32 nlen = le16_to_cpu(x->name_len);

		if (!strncmp(name, XATTR_TRUSTED_PREFIX, XATTR_TRUSTED_PREFIX_LEN)) {
			if (!capable(CAP_SYS_ADMIN))
				continue;
		} else if (strncmp(name, XATTR_USER_PREFIX, XATTR_USER_PREFIX_LEN) &&
			   strncmp(name, XATTR_SECURITY_PREFIX, XATTR_SECURITY_PREFIX_LEN)) {
			continue;	/* system.* is not served */
		}
		if (buffer) {
			if (used + nlen + 1 > size)
				return -ERANGE;
			memcpy(buffer + used, name, nlen);
			buffer[used + nlen] = '\0';
		}
		used += nlen + 1;
	}
	return used;
}
