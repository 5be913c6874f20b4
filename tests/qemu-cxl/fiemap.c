// SPDX-License-Identifier: GPL-2.0-only
/*
 * fiemap FILE: FILE's extent map through FS_IOC_FIEMAP, one line per extent:
 * "LOGICAL PHYSICAL LENGTH FLAGS" (bytes in decimal, flags in hex), nothing for a file without
 * extents. Exit 1 (with the reason) when the ioctl fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_EXTENTS 32

int main(int argc, char **argv)
{
	struct fiemap *fm;
	unsigned int i;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: fiemap FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "fiemap: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fm = calloc(1, sizeof(*fm) + MAX_EXTENTS * sizeof(struct fiemap_extent));
	if (!fm)
		return 1;
	fm->fm_start = 0;
	fm->fm_length = FIEMAP_MAX_OFFSET;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = MAX_EXTENTS;
	if (ioctl(fd, FS_IOC_FIEMAP, fm)) {
		fprintf(stderr, "fiemap: %s: FS_IOC_FIEMAP: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (i = 0; i < fm->fm_mapped_extents; i++) {
		const struct fiemap_extent *e = &fm->fm_extents[i];

		printf("%llu %llu %llu %#x\n", (unsigned long long)e->fe_logical,
		       (unsigned long long)e->fe_physical, (unsigned long long)e->fe_length,
		       e->fe_flags);
	}
	free(fm);
	close(fd);
	return 0;
}
