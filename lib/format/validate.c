// SPDX-License-Identifier: GPL-2.0-only
/*
 * validate.c - prove that an untrusted daxfs image is well formed (docs/format.md, "Validator
 * rules"). Shared verbatim by the kernel module (at every mount) and userspace (reader, fsck).
 *
 * Every offset and length read from the image is checked against the image before it is used,
 * with overflow-checked arithmetic. Time is linear in the metadata, there is no recursion, and
 * the only allocation is one u32 per inode.
 */
#include "daxfs_format.h"

#ifdef __KERNEL__
#include <linux/stdarg.h>
#else
#include <stdarg.h>
#endif

struct vctx {
	const u8 *base;
	u64 total;
	u32 icount;
	u64 dcount;
	u64 xcount;
	u64 dirent_off;
	u64 xattr_off;
	u64 str_off;
	u64 str_size;
	u64 data_off;
	u64 page;		/* the largest page size the image supports: extents align to it */
	const u8 *str;
	u32 *refs;
	struct daxfs_verr *err;
};

static const char *const verr_names[DAXFS_E_COUNT] = {
	[DAXFS_OK] = "ok",
	[DAXFS_E_TOO_SMALL] = "mapping too small or misaligned",
	[DAXFS_E_MAGIC] = "bad magic",
	[DAXFS_E_VERSION] = "unsupported version",
	[DAXFS_E_SB_CRC] = "bad superblock checksum",
	[DAXFS_E_FEATURES] = "unsupported incompatible feature",
	[DAXFS_E_SB_FIELD] = "bad superblock field",
	[DAXFS_E_GEOMETRY] = "inconsistent image geometry",
	[DAXFS_E_META_CRC] = "bad metadata checksum",
	[DAXFS_E_INODE_TYPE] = "bad inode type",
	[DAXFS_E_INODE_FIELD] = "bad inode field",
	[DAXFS_E_EXTENT] = "file extent outside the image",
	[DAXFS_E_ALIGN] = "misaligned file extent",
	[DAXFS_E_DIR_RANGE] = "bad directory entry range",
	[DAXFS_E_DIR_PARENT] = "bad directory parent",
	[DAXFS_E_SYMLINK] = "bad symlink target",
	[DAXFS_E_DEVICE] = "bad device number",
	[DAXFS_E_XATTR_RANGE] = "bad xattr range",
	[DAXFS_E_XATTR] = "bad xattr",
	[DAXFS_E_XATTR_ORDER] = "xattrs not sorted",
	[DAXFS_E_DIRENT_INO] = "bad directory entry inode",
	[DAXFS_E_DIRENT_NAME] = "bad directory entry name",
	[DAXFS_E_DIRENT_ORDER] = "directory entries not sorted",
	[DAXFS_E_DIRENT_TYPE] = "directory entry type mismatch",
	[DAXFS_E_DIR_LINK] = "directory linked more than once",
	[DAXFS_E_UNREACHABLE] = "unreachable inode",
	[DAXFS_E_NLINK] = "bad link count",
	[DAXFS_E_NOMEM] = "out of memory",
};

const char *daxfs_verr_str(enum daxfs_verr_code code)
{
	if ((unsigned int)code >= DAXFS_E_COUNT)
		return "unknown error";
	return verr_names[code];
}

static __attribute__((format(printf, 5, 6)))
enum daxfs_verr_code fail(struct vctx *c, enum daxfs_verr_code code, u32 ino, u64 where,
			  const char *fmt, ...)
{
	va_list ap;

	if (!c->err)
		return code;
	c->err->code = code;
	c->err->ino = ino;
	c->err->where = where;
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return code;
}

/* a + b into *r, false on overflow. */
static bool add_ok(u64 a, u64 b, u64 *r)
{
	return !__builtin_add_overflow(a, b, r);
}

static bool mul_ok(u64 a, u64 b, u64 *r)
{
	return !__builtin_mul_overflow(a, b, r);
}

/* [off, off + len) inside the string pool. */
static bool in_pool(const struct vctx *c, u64 off, u64 len)
{
	return off <= c->str_size && len <= c->str_size - off;
}

static const struct daxfs_inode *inode_at(const struct vctx *c, u32 ino)
{
	return (const struct daxfs_inode *)(c->base + DAXFS_META_OFF +
					    (u64)(ino - 1) * sizeof(struct daxfs_inode));
}

static const struct daxfs_dirent *dirent_at(const struct vctx *c, u64 i)
{
	return (const struct daxfs_dirent *)(c->base + c->dirent_off +
					     i * sizeof(struct daxfs_dirent));
}

static const struct daxfs_xattr *xattr_at(const struct vctx *c, u64 i)
{
	return (const struct daxfs_xattr *)(c->base + c->xattr_off +
					    i * sizeof(struct daxfs_xattr));
}

static bool all_zero(const u8 *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static enum daxfs_verr_code check_super(struct vctx *c, const struct daxfs_super *sb, u64 len)
{
	u64 total, meta_off, meta_size, end, n;
	const u8 *nul;

	if (le32_to_cpu(sb->magic) != DAXFS_SUPER_MAGIC)
		return fail(c, DAXFS_E_MAGIC, 0, 0, "bad magic %#x", le32_to_cpu(sb->magic));
	if (le16_to_cpu(sb->version) != DAXFS_VERSION)
		return fail(c, DAXFS_E_VERSION, 0, 4, "format version %u, this reader knows %u",
			    le16_to_cpu(sb->version), DAXFS_VERSION);
	if (le32_to_cpu(sb->sb_crc) != daxfs_crc32c(sb, DAXFS_SB_CRC_LEN))
		return fail(c, DAXFS_E_SB_CRC, 0, 252, "superblock checksum mismatch");
	if (le32_to_cpu(sb->incompat) & ~DAXFS_FEATURE_INCOMPAT_SUPP)
		return fail(c, DAXFS_E_FEATURES, 0, 12, "unknown incompatible features %#x",
			    le32_to_cpu(sb->incompat) & ~DAXFS_FEATURE_INCOMPAT_SUPP);
	if (le16_to_cpu(sb->sb_size) != sizeof(*sb))
		return fail(c, DAXFS_E_SB_FIELD, 0, 6, "superblock size %u, expected %zu",
			    le16_to_cpu(sb->sb_size), sizeof(*sb));
	if (le32_to_cpu(sb->digest_type) != DAXFS_DIGEST_XXH3_128)
		return fail(c, DAXFS_E_SB_FIELD, 0, 192, "unknown digest type %u",
			    le32_to_cpu(sb->digest_type));
	if (!all_zero(sb->reserved, sizeof(sb->reserved)))
		return fail(c, DAXFS_E_SB_FIELD, 0, 216, "reserved superblock field not zero");
	if (daxfs_page_sizes(sb) & ~DAXFS_PAGE_SIZES_VALID)
		return fail(c, DAXFS_E_SB_FIELD, 0, 36,
			    "page sizes %#x: only powers of two from 4096 to 2 MiB",
			    le32_to_cpu(sb->page_sizes));
	for (c->page = DAXFS_PAGE_SIZES_VALID & ~(DAXFS_PAGE_SIZES_VALID >> 1);
	     !(daxfs_page_sizes(sb) & c->page); c->page >>= 1)
		;
	nul = memchr(sb->label, 0, sizeof(sb->label));
	if (!nul || !all_zero(nul, sb->label + sizeof(sb->label) - nul))
		return fail(c, DAXFS_E_SB_FIELD, 0, 128, "label not NUL-terminated and NUL-padded");

	total = le64_to_cpu(sb->total_size);
	meta_off = le64_to_cpu(sb->meta_off);
	meta_size = le64_to_cpu(sb->meta_size);
	c->icount = le32_to_cpu(sb->inode_count);
	c->dcount = le64_to_cpu(sb->dirent_count);
	c->xcount = le64_to_cpu(sb->xattr_count);
	c->dirent_off = le64_to_cpu(sb->dirent_off);
	c->xattr_off = le64_to_cpu(sb->xattr_off);
	c->str_off = le64_to_cpu(sb->str_off);
	c->str_size = le64_to_cpu(sb->str_size);
	c->data_off = le64_to_cpu(sb->data_off);
	c->total = total;

	if (total > len || total % DAXFS_BLOCK_SIZE || total < 2 * DAXFS_BLOCK_SIZE)
		return fail(c, DAXFS_E_GEOMETRY, 0, 16,
			    "total size %llu is not a multiple of 4096 between 8192 and the mapping size %llu",
			    (unsigned long long)total, (unsigned long long)len);
	if (meta_off != DAXFS_META_OFF)
		return fail(c, DAXFS_E_GEOMETRY, 0, 56, "metadata offset %llu, expected 4096",
			    (unsigned long long)meta_off);
	if (c->icount < 1)
		return fail(c, DAXFS_E_GEOMETRY, 0, 32, "no inodes");
	if (c->dirent_off != meta_off + (u64)c->icount * sizeof(struct daxfs_inode))
		return fail(c, DAXFS_E_GEOMETRY, 0, 72, "dirent table offset %llu does not follow the inode table",
			    (unsigned long long)c->dirent_off);
	if (!mul_ok(c->dcount, sizeof(struct daxfs_dirent), &n) || !add_ok(c->dirent_off, n, &end) ||
	    c->xattr_off != end)
		return fail(c, DAXFS_E_GEOMETRY, 0, 80, "xattr table offset %llu does not follow the dirent table",
			    (unsigned long long)c->xattr_off);
	if (!mul_ok(c->xcount, sizeof(struct daxfs_xattr), &n) || !add_ok(c->xattr_off, n, &end) ||
	    c->str_off != end)
		return fail(c, DAXFS_E_GEOMETRY, 0, 88, "string pool offset %llu does not follow the xattr table",
			    (unsigned long long)c->str_off);
	if (!add_ok(c->str_off, c->str_size, &end) || meta_size != end - meta_off)
		return fail(c, DAXFS_E_GEOMETRY, 0, 64, "metadata size %llu does not match the tables",
			    (unsigned long long)meta_size);
	if (c->data_off % DAXFS_BLOCK_SIZE || c->data_off < end || c->data_off > total)
		return fail(c, DAXFS_E_GEOMETRY, 0, 104,
			    "data offset %llu misaligned or outside [metadata end %llu, total size]",
			    (unsigned long long)c->data_off, (unsigned long long)end);
	return DAXFS_OK;
}

static enum daxfs_verr_code check_xattrs(struct vctx *c, u32 ino, const struct daxfs_inode *in,
					 u64 *xcur)
{
	static const char *const prefixes[] = { "user.", "trusted.", "security.", "system." };
	u64 first = le64_to_cpu(in->xattr_index);
	u32 count = le32_to_cpu(in->xattr_count);
	const u8 *prev = NULL;
	u32 prev_len = 0;
	u64 i;

	if (!count) {
		if (first)
			return fail(c, DAXFS_E_XATTR_RANGE, ino, first,
				    "inode %u: no xattrs but xattr index %llu", ino,
				    (unsigned long long)first);
		return DAXFS_OK;
	}
	if (first != *xcur || count > c->xcount - first)
		return fail(c, DAXFS_E_XATTR_RANGE, ino, first,
			    "inode %u: xattrs [%llu, +%u) not at the expected index %llu or past the table (%llu)",
			    ino, (unsigned long long)first, count, (unsigned long long)*xcur,
			    (unsigned long long)c->xcount);
	*xcur = first + count;
	for (i = first; i < first + count; i++) {
		const struct daxfs_xattr *x = xattr_at(c, i);
		u64 off = le64_to_cpu(x->off);
		u32 nlen = le16_to_cpu(x->name_len);
		u32 vlen = le32_to_cpu(x->value_len);
		const u8 *name;
		bool prefix_ok = false;
		unsigned int p;

		if (x->reserved)
			return fail(c, DAXFS_E_XATTR, ino, i, "inode %u: xattr %llu reserved field not zero",
				    ino, (unsigned long long)i);
		if (nlen < 1 || nlen > DAXFS_XATTR_NAME_MAX || vlen > DAXFS_XATTR_VALUE_MAX)
			return fail(c, DAXFS_E_XATTR, ino, i,
				    "inode %u: xattr %llu name length %u or value length %u out of range",
				    ino, (unsigned long long)i, nlen, vlen);
		if (!in_pool(c, off, (u64)nlen + vlen))
			return fail(c, DAXFS_E_XATTR, ino, i,
				    "inode %u: xattr %llu at pool offset %llu (+%u) outside the string pool",
				    ino, (unsigned long long)i, (unsigned long long)off, nlen + vlen);
		name = c->str + off;
		if (memchr(name, 0, nlen))
			return fail(c, DAXFS_E_XATTR, ino, i, "inode %u: xattr %llu name contains NUL",
				    ino, (unsigned long long)i);
		for (p = 0; p < ARRAY_SIZE(prefixes); p++) {
			size_t plen = strlen(prefixes[p]);

			if (nlen > plen && !memcmp(name, prefixes[p], plen))
				prefix_ok = true;
		}
		if (!prefix_ok)
			return fail(c, DAXFS_E_XATTR, ino, i,
				    "inode %u: xattr %llu name \"%.*s\" has no user./trusted./security./system. prefix",
				    ino, (unsigned long long)i, (int)nlen, (const char *)name);
		if (prev && daxfs_name_cmp(prev, prev_len, name, nlen) >= 0)
			return fail(c, DAXFS_E_XATTR_ORDER, ino, i,
				    "inode %u: xattr \"%.*s\" not after \"%.*s\"", ino, (int)nlen,
				    (const char *)name, (int)prev_len, (const char *)prev);
		prev = name;
		prev_len = nlen;
	}
	return DAXFS_OK;
}

static enum daxfs_verr_code check_regular(struct vctx *c, u32 ino, const struct daxfs_inode *in)
{
	u64 size = le64_to_cpu(in->size);
	u64 data = le64_to_cpu(in->data);
	u64 align = size >= DAXFS_HUGE_SIZE ? DAXFS_HUGE_SIZE : DAXFS_BLOCK_SIZE;
	u64 span;

	if (align < c->page)
		align = c->page;	/* a page of it must not show another file's bytes */

	if (!size) {
		if (data)
			return fail(c, DAXFS_E_EXTENT, ino, data, "inode %u: empty file with extent %llu",
				    ino, (unsigned long long)data);
		return DAXFS_OK;
	}
	if (size > c->total)
		return fail(c, DAXFS_E_EXTENT, ino, data, "inode %u: size %llu larger than the image",
			    ino, (unsigned long long)size);
	span = (size + c->page - 1) & ~(c->page - 1);
	if (data < c->data_off || data > c->total || span > c->total - data)
		return fail(c, DAXFS_E_EXTENT, ino, data,
			    "inode %u: extent [%llu, +%llu) outside the data region [%llu, %llu)", ino,
			    (unsigned long long)data, (unsigned long long)size,
			    (unsigned long long)c->data_off, (unsigned long long)c->total);
	if (data % align)
		return fail(c, DAXFS_E_ALIGN, ino, data,
			    "inode %u: extent at %llu not aligned to %llu", ino,
			    (unsigned long long)data, (unsigned long long)align);
	return DAXFS_OK;
}

static enum daxfs_verr_code check_symlink(struct vctx *c, u32 ino, const struct daxfs_inode *in,
					  u64 *scur)
{
	u64 size = le64_to_cpu(in->size);
	u64 data = le64_to_cpu(in->data);

	if (size < 1 || size > DAXFS_SYMLINK_MAX)
		return fail(c, DAXFS_E_SYMLINK, ino, data, "inode %u: symlink length %llu not in 1..%u",
			    ino, (unsigned long long)size, DAXFS_SYMLINK_MAX);
	if (!in_pool(c, data, size + 1))
		return fail(c, DAXFS_E_SYMLINK, ino, data,
			    "inode %u: symlink target at pool offset %llu (+%llu) outside the string pool",
			    ino, (unsigned long long)data, (unsigned long long)size);
	if (data < *scur)
		return fail(c, DAXFS_E_SYMLINK, ino, data,
			    "inode %u: symlink target at pool offset %llu overlaps the previous one (ends at %llu)",
			    ino, (unsigned long long)data, (unsigned long long)*scur);
	*scur = data + size + 1;
	if (memchr(c->str + data, 0, size) || c->str[data + size])
		return fail(c, DAXFS_E_SYMLINK, ino, data,
			    "inode %u: symlink target contains NUL or is not NUL-terminated", ino);
	return DAXFS_OK;
}

static enum daxfs_verr_code check_entries(struct vctx *c, u32 ino, const struct daxfs_inode *in)
{
	u64 first = le64_to_cpu(in->data);
	u64 count = le64_to_cpu(in->size);
	const u8 *prev = NULL;
	u32 prev_len = 0, subdirs = 0;
	u64 i;

	for (i = first; i < first + count; i++) {
		const struct daxfs_dirent *d = dirent_at(c, i);
		u32 target = le32_to_cpu(d->ino);
		u32 nlen = le16_to_cpu(d->name_len);
		u64 off = le64_to_cpu(d->name_off);
		const struct daxfs_inode *t;
		const u8 *name;

		/* One directory can hold most of a big image's entries. */
		if (!((i - first + 1) & 4095))
			daxfs_resched();
		if (target < 2 || target > c->icount)
			return fail(c, DAXFS_E_DIRENT_INO, ino, i,
				    "directory %u: entry %llu names inode %u (valid: 2..%u)", ino,
				    (unsigned long long)(i - first), target, c->icount);
		if (nlen < 1 || nlen > DAXFS_NAME_MAX || !in_pool(c, off, nlen))
			return fail(c, DAXFS_E_DIRENT_NAME, ino, i,
				    "directory %u: entry %llu name (pool offset %llu, length %u) out of range",
				    ino, (unsigned long long)(i - first), (unsigned long long)off, nlen);
		name = c->str + off;
		if (memchr(name, '/', nlen) || memchr(name, 0, nlen) ||
		    (nlen == 1 && name[0] == '.') || (nlen == 2 && name[0] == '.' && name[1] == '.'))
			return fail(c, DAXFS_E_DIRENT_NAME, ino, i,
				    "directory %u: entry %llu name contains '/' or NUL, or is . or ..",
				    ino, (unsigned long long)(i - first));
		if (d->reserved)
			return fail(c, DAXFS_E_DIRENT_NAME, ino, i,
				    "directory %u: entry \"%.*s\" reserved field not zero", ino,
				    (int)nlen, (const char *)name);
		if (prev && daxfs_name_cmp(prev, prev_len, name, nlen) >= 0)
			return fail(c, DAXFS_E_DIRENT_ORDER, ino, i,
				    "directory %u: entry \"%.*s\" not after \"%.*s\"", ino, (int)nlen,
				    (const char *)name, (int)prev_len, (const char *)prev);
		prev = name;
		prev_len = nlen;
		t = inode_at(c, target);
		if (d->type != daxfs_mode_to_dtype(le16_to_cpu(t->mode)))
			return fail(c, DAXFS_E_DIRENT_TYPE, ino, i,
				    "directory %u: entry \"%.*s\" has type %u but inode %u has mode %#o",
				    ino, (int)nlen, (const char *)name, d->type, target,
				    le16_to_cpu(t->mode));
		c->refs[target - 1]++;
		if ((le16_to_cpu(t->mode) & DAXFS_S_IFMT) == DAXFS_S_IFDIR) {
			if (le32_to_cpu(t->parent) != ino || c->refs[target - 1] != 1)
				return fail(c, DAXFS_E_DIR_LINK, target, i,
					    "directory %u: entry \"%.*s\" names directory %u whose parent is %u or which is named twice",
					    ino, (int)nlen, (const char *)name, target,
					    le32_to_cpu(t->parent));
			subdirs++;
		}
	}
	if (le32_to_cpu(in->nlink) != 2 + (u64)subdirs)
		return fail(c, DAXFS_E_NLINK, ino, 0, "directory %u: nlink %u, expected %llu", ino,
			    le32_to_cpu(in->nlink), 2 + (unsigned long long)subdirs);
	return DAXFS_OK;
}

static enum daxfs_verr_code check_dir(struct vctx *c, u32 ino, const struct daxfs_inode *in,
				      u64 *dcur)
{
	u64 first = le64_to_cpu(in->data);
	u64 count = le64_to_cpu(in->size);
	u32 parent = le32_to_cpu(in->parent);

	if (first != *dcur || count > c->dcount - first)
		return fail(c, DAXFS_E_DIR_RANGE, ino, first,
			    "directory %u: entries [%llu, +%llu) not at the expected index %llu or past the table (%llu)",
			    ino, (unsigned long long)first, (unsigned long long)count,
			    (unsigned long long)*dcur, (unsigned long long)c->dcount);
	*dcur = first + count;
	if (ino == DAXFS_ROOT_INO ? parent != ino :
	    (parent < 1 || parent >= ino ||
	     (le16_to_cpu(inode_at(c, parent)->mode) & DAXFS_S_IFMT) != DAXFS_S_IFDIR))
		return fail(c, DAXFS_E_DIR_PARENT, ino, parent,
			    "directory %u: parent %u is not a directory numbered below it", ino, parent);
	return DAXFS_OK;
}

static enum daxfs_verr_code check_inode(struct vctx *c, u32 ino, u64 *dcur, u64 *xcur, u64 *scur)
{
	const struct daxfs_inode *in = inode_at(c, ino);
	u32 mode = le16_to_cpu(in->mode);
	u32 type = mode & DAXFS_S_IFMT;
	u64 size = le64_to_cpu(in->size);
	u64 data = le64_to_cpu(in->data);
	enum daxfs_verr_code r;

	if (!daxfs_valid_type(mode) || (ino == DAXFS_ROOT_INO && type != DAXFS_S_IFDIR))
		return fail(c, DAXFS_E_INODE_TYPE, ino, 0, "inode %u: bad mode %#o%s", ino, mode,
			    ino == DAXFS_ROOT_INO ? " (the root must be a directory)" : "");
	if (in->reserved0 || in->reserved1)
		return fail(c, DAXFS_E_INODE_FIELD, ino, 0, "inode %u: reserved field not zero", ino);
	if (le32_to_cpu(in->mtime_nsec) >= 1000000000u)
		return fail(c, DAXFS_E_INODE_FIELD, ino, 0, "inode %u: mtime nanoseconds %u >= 10^9",
			    ino, le32_to_cpu(in->mtime_nsec));
	if (type != DAXFS_S_IFDIR && in->parent)
		return fail(c, DAXFS_E_INODE_FIELD, ino, 0, "inode %u: parent set on a non-directory",
			    ino);
	r = check_xattrs(c, ino, in, xcur);
	if (r)
		return r;
	switch (type) {
	case DAXFS_S_IFREG:
		return check_regular(c, ino, in);
	case DAXFS_S_IFDIR:
		return check_dir(c, ino, in, dcur);
	case DAXFS_S_IFLNK:
		return check_symlink(c, ino, in, scur);
	case DAXFS_S_IFCHR:
	case DAXFS_S_IFBLK:
		if (size)
			return fail(c, DAXFS_E_INODE_FIELD, ino, 0, "inode %u: device with size %llu",
				    ino, (unsigned long long)size);
		if ((data >> 32) > DAXFS_DEV_MAJOR_MAX || (data & 0xffffffffu) > DAXFS_DEV_MINOR_MAX)
			return fail(c, DAXFS_E_DEVICE, ino, data,
				    "inode %u: device %llu:%llu out of range", ino,
				    (unsigned long long)(data >> 32),
				    (unsigned long long)(data & 0xffffffffu));
		return DAXFS_OK;
	default: /* FIFO, socket */
		if (size || data)
			return fail(c, DAXFS_E_INODE_FIELD, ino, 0,
				    "inode %u: fifo/socket with size or data", ino);
		return DAXFS_OK;
	}
}

static enum daxfs_verr_code check_tree(struct vctx *c)
{
	u64 dcur = 0, xcur = 0, scur = 0;
	enum daxfs_verr_code r;
	u32 ino;

	/* Pass 1: every inode on its own (a parent's type is known: it has a smaller number). */
	for (ino = 1; ino <= c->icount; ino++) {
		if (!(ino & 4095))
			daxfs_resched();
		r = check_inode(c, ino, &dcur, &xcur, &scur);
		if (r)
			return r;
	}
	/* Pass 2: directory entries, now that every inode they can name is known good. */
	for (ino = 1; ino <= c->icount; ino++) {
		const struct daxfs_inode *in = inode_at(c, ino);

		if (!(ino & 4095))
			daxfs_resched();
		if ((le16_to_cpu(in->mode) & DAXFS_S_IFMT) != DAXFS_S_IFDIR)
			continue;
		r = check_entries(c, ino, in);
		if (r)
			return r;
	}
	if (dcur != c->dcount)
		return fail(c, DAXFS_E_DIR_RANGE, 0, dcur,
			    "dirent table has %llu entries, directories own %llu",
			    (unsigned long long)c->dcount, (unsigned long long)dcur);
	if (xcur != c->xcount)
		return fail(c, DAXFS_E_XATTR_RANGE, 0, xcur,
			    "xattr table has %llu entries, inodes own %llu",
			    (unsigned long long)c->xcount, (unsigned long long)xcur);
	for (ino = 2; ino <= c->icount; ino++) {
		const struct daxfs_inode *in = inode_at(c, ino);
		u32 refs = c->refs[ino - 1];

		if (!(ino & 4095))
			daxfs_resched();
		if (!refs)
			return fail(c, DAXFS_E_UNREACHABLE, ino, 0, "inode %u: named by no entry", ino);
		if ((le16_to_cpu(in->mode) & DAXFS_S_IFMT) != DAXFS_S_IFDIR &&
		    le32_to_cpu(in->nlink) != refs)
			return fail(c, DAXFS_E_NLINK, ino, 0, "inode %u: nlink %u, named by %u entries",
				    ino, le32_to_cpu(in->nlink), refs);
	}
	return DAXFS_OK;
}

enum daxfs_verr_code daxfs_validate_meta(const void *image, u64 copy_len, u64 len,
					 const struct daxfs_alloc *alloc, struct daxfs_verr *err)
{
	struct vctx c;
	enum daxfs_verr_code r;

	memset(&c, 0, sizeof(c));
	c.base = image;
	c.err = err;
	if (err)
		memset(err, 0, sizeof(*err));
	if (copy_len < DAXFS_META_OFF || copy_len > len || ((unsigned long)image & 7))
		return fail(&c, DAXFS_E_TOO_SMALL, 0, copy_len,
			    "mapping of %llu bytes is smaller than 4096 or not 8-byte aligned",
			    (unsigned long long)copy_len);
	r = check_super(&c, image, len);
	if (r)
		return r;
	/* Everything below reads only [0, str_off + str_size): it must be in the buffer. */
	if (c.str_off + c.str_size > copy_len)
		return fail(&c, DAXFS_E_GEOMETRY, 0, 96,
			    "metadata ends at %llu, past the %llu bytes given",
			    (unsigned long long)(c.str_off + c.str_size), (unsigned long long)copy_len);
	c.str = c.base + c.str_off;
	if (le32_to_cpu(((const struct daxfs_super *)image)->meta_crc) !=
	    daxfs_crc32c(c.base + DAXFS_META_OFF, c.str_off + c.str_size - DAXFS_META_OFF))
		return fail(&c, DAXFS_E_META_CRC, 0, DAXFS_META_OFF, "metadata checksum mismatch");
	c.refs = alloc->zalloc((size_t)c.icount * sizeof(u32), alloc->ctx);
	if (!c.refs)
		return fail(&c, DAXFS_E_NOMEM, 0, 0, "cannot allocate %u link counters", c.icount);
	r = check_tree(&c);
	alloc->free(c.refs, alloc->ctx);
	if (!r && err)
		snprintf(err->msg, sizeof(err->msg), "ok");
	return r;
}

enum daxfs_verr_code daxfs_validate_super(const struct daxfs_super *sb, u64 len,
					  struct daxfs_verr *err)
{
	struct vctx c;
	enum daxfs_verr_code r;

	memset(&c, 0, sizeof(c));
	c.base = (const u8 *)sb;
	c.err = err;
	if (err)
		memset(err, 0, sizeof(*err));
	r = check_super(&c, sb, len);
	if (!r && err)
		snprintf(err->msg, sizeof(err->msg), "ok");
	return r;
}

enum daxfs_verr_code daxfs_validate(const void *image, u64 len, const struct daxfs_alloc *alloc,
				    struct daxfs_verr *err)
{
	return daxfs_validate_meta(image, len, len, alloc, err);
}
