/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daxfs_format.h - the daxfs on-media format, version 1.
 *
 * Shared verbatim by the kernel module and userspace. docs/format.md describes every byte;
 * keep the two in sync.
 */
#ifndef DAXFS_FORMAT_H
#define DAXFS_FORMAT_H

#include "daxfs_compat.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Not DAXFS_SUPER_MAGIC: <linux/magic.h> uses that name for the kernel's internal dax pseudo-fs. */
#define DAXFS_SUPER_MAGIC		0x53465844u	/* "DXFS" */
#define DAXFS_VERSION		1
#define DAXFS_BLOCK_SIZE	4096u
#define DAXFS_HUGE_SIZE		(2u << 20)
#define DAXFS_META_OFF		4096u
#define DAXFS_ROOT_INO		1u
#define DAXFS_NAME_MAX		255u
#define DAXFS_SYMLINK_MAX	4095u
#define DAXFS_XATTR_NAME_MAX	255u
#define DAXFS_XATTR_VALUE_MAX	65536u
#define DAXFS_LABEL_SIZE	64u
#define DAXFS_UUID_SIZE		16u
#define DAXFS_DIGEST_SIZE	16u

/*
 * page_sizes: the OR of the page sizes (bytes: powers of two from 4 KiB to 2 MiB) a kernel may
 * map the image's files with; 0 means 4 KiB only (every image before the field existed). The
 * extents of regular files are aligned to the largest one listed. A reader whose PAGE_SIZE is
 * not listed must not map (the kernel does not mount) the image.
 */
#define DAXFS_PAGE_SIZES_DEFAULT	4096u
#define DAXFS_PAGE_SIZES_VALID		0x003ff000u	/* 4 KiB .. 2 MiB */

/* digest_type */
#define DAXFS_DIGEST_XXH3_128	1u

/* Feature flags: none defined in v1. */
#define DAXFS_FEATURE_COMPAT_SUPP	0u
#define DAXFS_FEATURE_INCOMPAT_SUPP	0u

/* File types (the S_IFMT bits of mode, the same values as Linux). */
#define DAXFS_S_IFMT	0170000u
#define DAXFS_S_IFSOCK	0140000u
#define DAXFS_S_IFLNK	0120000u
#define DAXFS_S_IFREG	0100000u
#define DAXFS_S_IFBLK	0060000u
#define DAXFS_S_IFDIR	0040000u
#define DAXFS_S_IFCHR	0020000u
#define DAXFS_S_IFIFO	0010000u

/* Directory entry types (the same values as Linux DT_*). */
#define DAXFS_DT_FIFO	1
#define DAXFS_DT_CHR	2
#define DAXFS_DT_DIR	4
#define DAXFS_DT_BLK	6
#define DAXFS_DT_REG	8
#define DAXFS_DT_LNK	10
#define DAXFS_DT_SOCK	12

/* Device numbers: data = major << 32 | minor, within the kernel's MKDEV limits. */
#define DAXFS_DEV_MAJOR_MAX	((1u << 12) - 1)
#define DAXFS_DEV_MINOR_MAX	((1u << 20) - 1)

struct daxfs_super {
	__le32 magic;
	__le16 version;
	__le16 sb_size;
	__le32 compat;
	__le32 incompat;
	__le64 total_size;
	__le64 build_time;
	__le32 inode_count;
	__le32 page_sizes;	/* DAXFS_PAGE_SIZES_* below */
	__le64 dirent_count;
	__le64 xattr_count;
	__le64 meta_off;
	__le64 meta_size;
	__le64 dirent_off;
	__le64 xattr_off;
	__le64 str_off;
	__le64 str_size;
	__le64 data_off;
	__u8 uuid[DAXFS_UUID_SIZE];
	__u8 label[DAXFS_LABEL_SIZE];
	__le32 digest_type;
	__le32 meta_crc;
	__u8 digest[DAXFS_DIGEST_SIZE];
	__u8 reserved[36];
	__le32 sb_crc;
};
DAXFS_STATIC_ASSERT(sizeof(struct daxfs_super) == 256, "daxfs_super is 256 bytes");
#define DAXFS_SB_CRC_LEN	252u

struct daxfs_inode {
	__le16 mode;
	__le16 reserved0;
	__le32 nlink;
	__le32 uid;
	__le32 gid;
	__le64 size;
	__le64 mtime_sec;
	__le32 mtime_nsec;
	__le32 parent;
	__le64 data;
	__le64 xattr_index;
	__le32 xattr_count;
	__le32 reserved1;
};
DAXFS_STATIC_ASSERT(sizeof(struct daxfs_inode) == 64, "daxfs_inode is 64 bytes");

struct daxfs_dirent {
	__le32 ino;
	__le16 name_len;
	__u8 type;
	__u8 reserved;
	__le64 name_off;
};
DAXFS_STATIC_ASSERT(sizeof(struct daxfs_dirent) == 16, "daxfs_dirent is 16 bytes");

struct daxfs_xattr {
	__le64 off;
	__le16 name_len;
	__le16 reserved;
	__le32 value_len;
};
DAXFS_STATIC_ASSERT(sizeof(struct daxfs_xattr) == 16, "daxfs_xattr is 16 bytes");

/* The page sizes an image supports (a valid superblock's field: 0 is 4 KiB). */
static inline u32 daxfs_page_sizes(const struct daxfs_super *sb)
{
	u32 v = le32_to_cpu(sb->page_sizes);

	return v ? v : DAXFS_PAGE_SIZES_DEFAULT;
}

/* CRC-32C (Castagnoli) of buf, standard form: init ~0, final xor ~0. */
u32 daxfs_crc32c(const void *buf, size_t len);

/* The DT_* type for an S_IFMT type, 0 if the type is not a daxfs type. */
static inline unsigned int daxfs_mode_to_dtype(u32 mode)
{
	return ((mode & DAXFS_S_IFMT) >> 12) & 15;
}

static inline bool daxfs_valid_type(u32 mode)
{
	switch (mode & DAXFS_S_IFMT) {
	case DAXFS_S_IFSOCK: case DAXFS_S_IFLNK: case DAXFS_S_IFREG: case DAXFS_S_IFBLK:
	case DAXFS_S_IFDIR: case DAXFS_S_IFCHR: case DAXFS_S_IFIFO:
		return true;
	}
	return false;
}

/* Name order: memcmp over the common length, then the shorter first. */
static inline int daxfs_name_cmp(const u8 *a, u32 alen, const u8 *b, u32 blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* ------------------------------------------------------------------------------------------
 * Validation (validate.c).
 */
enum daxfs_verr_code {
	DAXFS_OK = 0,
	DAXFS_E_TOO_SMALL,	/* mapping shorter than a superblock page */
	DAXFS_E_MAGIC,
	DAXFS_E_VERSION,
	DAXFS_E_SB_CRC,
	DAXFS_E_FEATURES,	/* unknown incompat feature */
	DAXFS_E_SB_FIELD,	/* superblock field out of range (sb_size, reserved, label, digest) */
	DAXFS_E_GEOMETRY,	/* sizes/offsets of the regions are inconsistent or out of the image */
	DAXFS_E_META_CRC,
	DAXFS_E_INODE_TYPE,	/* unknown file type, or root not a directory */
	DAXFS_E_INODE_FIELD,	/* reserved field, nsec, or a field that must be 0 for the type */
	DAXFS_E_EXTENT,		/* file extent outside the data region */
	DAXFS_E_ALIGN,		/* file extent misaligned */
	DAXFS_E_DIR_RANGE,	/* directory entry range out of order or outside the table */
	DAXFS_E_DIR_PARENT,	/* bad parent inode number (cycle guard) */
	DAXFS_E_SYMLINK,	/* symlink target length, bounds, NUL, or order */
	DAXFS_E_DEVICE,		/* device number out of range */
	DAXFS_E_XATTR_RANGE,	/* xattr range out of order or outside the table */
	DAXFS_E_XATTR,		/* xattr name/value bounds, length, prefix, NUL */
	DAXFS_E_XATTR_ORDER,	/* xattrs of an inode not strictly sorted */
	DAXFS_E_DIRENT_INO,	/* entry names inode 0, the root, or past the table */
	DAXFS_E_DIRENT_NAME,	/* name bounds, length, '/', NUL, "." or ".." */
	DAXFS_E_DIRENT_ORDER,	/* entries not strictly sorted (or duplicates) */
	DAXFS_E_DIRENT_TYPE,	/* entry type does not match the inode */
	DAXFS_E_DIR_LINK,	/* directory named twice, or not from its parent */
	DAXFS_E_UNREACHABLE,	/* inode named by no entry */
	DAXFS_E_NLINK,
	DAXFS_E_NOMEM,
	DAXFS_E_COUNT
};

struct daxfs_verr {
	enum daxfs_verr_code code;
	u32 ino;		/* offending inode, 0 if none */
	u64 where;		/* offending absolute offset / index (see msg), 0 if none */
	char msg[192];		/* human-readable, NUL-terminated */
};

/* Allocation for the validator's bookkeeping (one u32 per inode): zeroed memory or NULL. */
struct daxfs_alloc {
	void *(*zalloc)(size_t size, void *ctx);
	void (*free)(void *ptr, void *ctx);
	void *ctx;
};

/*
 * Proves that the image at [image, image + len) is a well-formed daxfs v1 image (see
 * docs/format.md, "Validator rules"). Returns DAXFS_OK, or the first violation found with
 * err filled in (err may be NULL). Linear time in the metadata size, no recursion.
 */
enum daxfs_verr_code daxfs_validate(const void *image, u64 len, const struct daxfs_alloc *alloc,
				    struct daxfs_verr *err);

/*
 * The same over a copy of the image's first copy_len bytes (at least up to the end of the
 * metadata, str_off + str_size) of an image whose mapping is len bytes: everything but file
 * data, which the validator never reads. The kernel validates such a private snapshot, so that
 * memory shared with other hosts cannot change what it trusts after validation.
 */
enum daxfs_verr_code daxfs_validate_meta(const void *image, u64 copy_len, u64 len,
					 const struct daxfs_alloc *alloc, struct daxfs_verr *err);

/*
 * Only the superblock's own checks (magic, version, checksum, fields, geometry) for an image
 * whose mapping is len bytes. On DAXFS_OK the metadata ends at str_off + str_size (no overflow),
 * which is at most data_off <= total_size <= len: the bound on what a reader must copy before
 * daxfs_validate_meta() can run. The kernel checks the superblock this way before it allocates
 * the metadata snapshot.
 */
enum daxfs_verr_code daxfs_validate_super(const struct daxfs_super *sb, u64 len,
					  struct daxfs_verr *err);

/* A short name for a code, e.g. "bad superblock checksum". */
const char *daxfs_verr_str(enum daxfs_verr_code code);

#ifdef __cplusplus
}
#endif

#endif /* DAXFS_FORMAT_H */
