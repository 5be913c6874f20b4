// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabufmount IMAGE DIR [OFFSET]: the accelerator case in a guest test. Allocates a dma-buf
 * from /dev/dma_heap/system, copies IMAGE into it at OFFSET, and mounts it on DIR with the new
 * mount API: fsopen("daxfs"), fsconfig(FSCONFIG_SET_FD, "dmabuf"), fsmount, move_mount. The
 * mount keeps its own reference to the dma-buf; this program's fds are closed on exit.
 * With IMAGE = "-" nothing is copied (the buffer stays zero: a mount that must be refused).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-heap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "dmabufmount: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct dma_heap_allocation_data alloc = { .fd_flags = O_RDWR | O_CLOEXEC };
	unsigned long long off = argc > 3 ? strtoull(argv[3], NULL, 0) : 0;
	struct stat st = { 0 };
	int heap, img = -1, fs, mnt;
	char *p;

	if (argc < 3) {
		fprintf(stderr, "usage: dmabufmount IMAGE|- DIR [OFFSET]\n");
		return 2;
	}
	if (strcmp(argv[1], "-")) {
		img = open(argv[1], O_RDONLY);
		if (img < 0 || fstat(img, &st))
			return die(argv[1]);
	}
	alloc.len = (off + st.st_size + (2 << 20) + 4095) & ~4095ULL;
	heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	if (heap < 0)
		return die("/dev/dma_heap/system");
	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &alloc))
		return die("DMA_HEAP_IOCTL_ALLOC");
	p = mmap(NULL, alloc.len, PROT_READ | PROT_WRITE, MAP_SHARED, alloc.fd, 0);
	if (p == MAP_FAILED)
		return die("mmap dma-buf");
	for (off_t done = 0; img >= 0 && done < st.st_size;) {
		ssize_t r = read(img, p + off + done, st.st_size - done);

		if (r <= 0)
			return die("read image");
		done += r;
	}
	munmap(p, alloc.len);

	fs = fsopen("daxfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return die("fsopen daxfs");
	if (fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "source", "dmabuf", 0) ||
	    fsconfig(fs, FSCONFIG_SET_FD, "dmabuf", NULL, alloc.fd))
		return die("fsconfig");
	if (off) {
		char s[32];

		snprintf(s, sizeof(s), "%llu", off);
		if (fsconfig(fs, FSCONFIG_SET_STRING, "offset", s, 0))
			return die("fsconfig offset");
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0)) {
		char msg[512];
		ssize_t n;

		fprintf(stderr, "dmabufmount: create: %s\n", strerror(errno));
		while ((n = read(fs, msg, sizeof(msg) - 1)) > 0) {
			msg[n] = 0;
			/* "e " marks an error in the fs context log */
			fprintf(stderr, "dmabufmount: %s\n", strncmp(msg, "e ", 2) ? msg : msg + 2);
		}
		return 1;
	}
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
	if (mnt < 0)
		return die("fsmount");
	if (move_mount(mnt, "", AT_FDCWD, argv[2], MOVE_MOUNT_F_EMPTY_PATH))
		return die("move_mount");
	return 0;
}
