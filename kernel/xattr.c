// SPDX-License-Identifier: GPL-2.0-only
/*
 * xattr.c - extended attributes: each inode's are a sorted range of the xattr table, names
 * and values in the string pool. user.*, trusted.* (CAP_SYS_ADMIN), security.* (but
 * security.capability only on a trusted mount) and system.posix_acl_* (inode.c) are served.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/posix_acl_xattr.h>
#include <linux/xattr.h>
#include "daxfs.h"

static const struct daxfs_xattr *daxfs_xattr_range(struct inode *inode, u32 *count)
{
	const struct daxfs_inode *di = daxfs_di(inode);

	*count = le32_to_cpu(di->xattr_count);
	return DAXFS_SB(inode->i_sb)->xattrs + le64_to_cpu(di->xattr_index);
}

/* The value of the inode's xattr named prefix + suffix (both NUL-terminated), or NULL. */
static const void *daxfs_xattr_lookup(struct inode *inode, const char *prefix, const char *suffix,
				      u32 *len)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	size_t plen = strlen(prefix), slen = strlen(suffix);
	const struct daxfs_xattr *x;
	u32 i, count;

	x = daxfs_xattr_range(inode, &count);
	for (i = 0; i < count; i++, x++) {
		const u8 *name = daxfs_str(sbi, le64_to_cpu(x->off));
		u32 nlen = le16_to_cpu(x->name_len);

		if (nlen != plen + slen || memcmp(name, prefix, plen) ||
		    memcmp(name + plen, suffix, slen))
			continue;
		*len = le32_to_cpu(x->value_len);
		return name + nlen;
	}
	return NULL;
}

const void *daxfs_xattr_find(struct inode *inode, const char *name, u32 *len)
{
	return daxfs_xattr_lookup(inode, name, "", len);
}

/*
 * security.capability would grant privileges chosen by whoever can write the memory: served
 * only on a trusted mount (super.c), as a nosuid mount ignores it.
 */
static bool daxfs_xattr_hidden(struct inode *inode, const char *name)
{
	return !DAXFS_SB(inode->i_sb)->trusted && !strcmp(name, XATTR_NAME_CAPS);
}

static int daxfs_xattr_get(const struct xattr_handler *handler, struct dentry *unused,
			   struct inode *inode, const char *suffix, void *buffer, size_t size)
{
	const void *value;
	u32 vlen;

	if (!strcmp(handler->prefix, XATTR_SECURITY_PREFIX) &&
	    !strcmp(suffix, XATTR_CAPS_SUFFIX) &&
	    daxfs_xattr_hidden(inode, XATTR_NAME_CAPS))
		return -ENODATA;
	value = daxfs_xattr_lookup(inode, handler->prefix, suffix, &vlen);
	if (!value)
		return -ENODATA;
	if (!buffer)
		return vlen;
	if (size < vlen)
		return -ERANGE;
	memcpy(buffer, value, vlen);
	return vlen;
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

const struct xattr_handler * DAXFS_XATTR_HANDLERS_CONST daxfs_xattr_handlers[] = {
	&daxfs_user_handler,
	&daxfs_trusted_handler,
	&daxfs_security_handler,
#if DAXFS_POSIX_ACL_XATTR_HANDLERS
	/* Before 6.2: system.posix_acl_* through ->get_acl (inode.c), see compat.h. */
	&posix_acl_access_xattr_handler,
	&posix_acl_default_xattr_handler,
#endif
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
		} else if (!strncmp(name, XATTR_SYSTEM_PREFIX, XATTR_SYSTEM_PREFIX_LEN)) {
			/* Of system.*, only the POSIX ACLs are served (inode.c). */
			if ((nlen != strlen(XATTR_NAME_POSIX_ACL_ACCESS) ||
			     memcmp(name, XATTR_NAME_POSIX_ACL_ACCESS, nlen)) &&
			    (nlen != strlen(XATTR_NAME_POSIX_ACL_DEFAULT) ||
			     memcmp(name, XATTR_NAME_POSIX_ACL_DEFAULT, nlen)))
				continue;
		} else if (strncmp(name, XATTR_USER_PREFIX, XATTR_USER_PREFIX_LEN) &&
			   strncmp(name, XATTR_SECURITY_PREFIX, XATTR_SECURITY_PREFIX_LEN)) {
			continue;
		} else if (nlen == strlen(XATTR_NAME_CAPS) &&
			   !memcmp(name, XATTR_NAME_CAPS, nlen) &&
			   daxfs_xattr_hidden(inode, XATTR_NAME_CAPS)) {
			continue;
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
