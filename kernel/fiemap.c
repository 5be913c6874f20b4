// SPDX-License-Identifier: GPL-2.0-only
/*
 * fiemap.c - FS_IOC_FIEMAP (filefrag, cp --reflink's and backup tools' extent maps) of regular
 * files. A daxfs file is one contiguous extent in the image (docs/format.md), so the map has at
 * most one entry: logical 0, physical = the extent's byte offset in the mount's source (the
 * image's offset= plus the extent's offset in the image), length = the file's size rounded up
 * to the image's 4 KiB blocks, flags FIEMAP_EXTENT_LAST. An empty file has none. Metadata
 * only: the snapshot answers, the shared memory is not read (a revoked mount still maps).
 */
#include <linux/fiemap.h>
#include <linux/fs.h>
#include "daxfs.h"

int daxfs_fiemap(struct inode *inode, struct fiemap_extent_info *fieinfo, u64 start, u64 len)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	u64 size = i_size_read(inode), span;
	int err;

	err = fiemap_prep(inode, fieinfo, start, &len, 0);
	if (err)
		return err;
	span = round_up(size, DAXFS_BLOCK_SIZE);
	if (!size || start >= span)
		return 0;
	err = fiemap_fill_next_extent(fieinfo, 0, sbi->offset + le64_to_cpu(daxfs_di(inode)->data),
				      span, FIEMAP_EXTENT_LAST);
	return err < 0 ? err : 0;
}
