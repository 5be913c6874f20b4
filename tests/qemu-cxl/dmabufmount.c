// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabufmount [-u] IMAGE DIR [OFFSET]: the accelerator case in a guest test. Allocates a dma-buf
 * from /dev/dma_heap/system, copies IMAGE into it at OFFSET, and mounts it on DIR with the new
 * mount API: fsopen("daxfs"), fsconfig(FSCONFIG_SET_FD, "dmabuf"), fsmount, move_mount. The
 * mount keeps its own reference to the dma-buf; this program's fds are closed on exit.
 * With IMAGE = "-" nothing is copied (the buffer stays zero: a mount that must be refused).
 * With -u the dma-buf comes from /dev/udmabuf instead: a memfd (sealed against shrinking, as
 * udmabuf requires) holding the image at OFFSET, whose page-cache pages udmabuf exports.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
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

/* die() for the functions that return an fd. */
static int bad(const char *what)
{
	die(what);
	return -1;
}

/* A system-heap dma-buf of len bytes, mapped at *p; its fd. */
static int heap_buf(unsigned long long len, char **p)
{
	struct dma_heap_allocation_data alloc = {
		.len = len,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);

	if (heap < 0)
		return bad("/dev/dma_heap/system");
	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &alloc))
		return bad("DMA_HEAP_IOCTL_ALLOC");
	*p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, alloc.fd, 0);
	if (*p == MAP_FAILED)
		return bad("mmap dma-buf");
	return alloc.fd;
}

/*
 * A udmabuf dma-buf of len bytes over a memfd (mapped at *p; the memfd is closed on exit, its
 * pages stay pinned by udmabuf); its fd.
 */
static int udma_buf(unsigned long long len, char **p)
{
	struct udmabuf_create create = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = len };
	int memfd = memfd_create("daxfs-image", MFD_ALLOW_SEALING | MFD_CLOEXEC), dev, fd;

	if (memfd < 0)
		return bad("memfd_create");
	if (ftruncate(memfd, len))
		return bad("ftruncate memfd");
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		return bad("F_SEAL_SHRINK");
	*p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (*p == MAP_FAILED)
		return bad("mmap memfd");
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return bad("/dev/udmabuf");
	create.memfd = memfd;
	fd = ioctl(dev, UDMABUF_CREATE, &create);
	if (fd < 0)
		return bad("UDMABUF_CREATE");
	return fd;
}

int main(int argc, char **argv)
{
	int udma = argc > 1 && !strcmp(argv[1], "-u");
	unsigned long long off, len;
	struct stat st = { 0 };
	int buf, img = -1, fs, mnt;
	char *p;

	argc -= udma;
	argv += udma;
	if (argc < 3) {
		fprintf(stderr, "usage: dmabufmount [-u] IMAGE|- DIR [OFFSET]\n");
		return 2;
	}
	off = argc > 3 ? strtoull(argv[3], NULL, 0) : 0;
	if (strcmp(argv[1], "-")) {
		img = open(argv[1], O_RDONLY);
		if (img < 0 || fstat(img, &st))
			return die(argv[1]);
	}
	len = (off + st.st_size + (2 << 20) + 4095) & ~4095ULL;
	buf = udma ? udma_buf(len, &p) : heap_buf(len, &p);
	if (buf < 0)
		return 1;
	for (off_t done = 0; img >= 0 && done < st.st_size;) {
		ssize_t r = read(img, p + off + done, st.st_size - done);

		if (r <= 0)
			return die("read image");
		done += r;
	}
	munmap(p, len);

	fs = fsopen("daxfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return die("fsopen daxfs");
	if (fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "source", "dmabuf", 0) ||
	    fsconfig(fs, FSCONFIG_SET_FD, "dmabuf", NULL, buf))
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
