// SPDX-License-Identifier: GPL-2.0-only
/*
 * daxio: byte access to DAX devices for guest tests. /dev/daxX.Y supports only mmap (no
 * read/write), so this maps the device (2 MiB-aligned windows, as device-dax requires).
 * Also works on /dev/pmemN and regular files.
 *
 *   daxio size   DEV                    print the device size in bytes
 *   daxio write  DEV OFF STRING         store STRING at OFF
 *   daxio read   DEV OFF LEN            print LEN bytes at OFF (non-printable bytes as '.')
 *   daxio wait   DEV OFF STRING SECS    poll until the bytes at OFF start with STRING
 *   daxio copyin DEV OFF FILE           copy FILE into the device at OFF
 *   daxio copyout DEV OFF LEN FILE      copy LEN bytes at OFF into FILE
 *   daxio fnv    DEV OFF LEN            print the FNV-1a 64 hash of LEN bytes at OFF
 * Exit status 0 on success, 1 on failure (with a message), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define ALIGN_2M (2ULL << 20)

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("daxio: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static uint64_t num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		die("bad %s '%s'", what, s);
	return v;
}

static uint64_t dev_size(int fd, const char *dev)
{
	struct stat st;
	char path[128];
	unsigned long long sz = 0;
	FILE *f;

	if (fstat(fd, &st))
		die("%s: %s", dev, strerror(errno));
	if (S_ISREG(st.st_mode))
		return st.st_size;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &sz))
			die("%s: BLKGETSIZE64: %s", dev, strerror(errno));
		return sz;
	}
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/size", major(st.st_rdev), minor(st.st_rdev));
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &sz) != 1)
		die("%s: cannot read %s", dev, path);
	fclose(f);
	return sz;
}

struct window {
	int fd;
	void *base;
	size_t len;
	char *p; /* the requested offset inside the mapping */
};

static struct window map(const char *dev, uint64_t off, uint64_t len, int writable)
{
	struct window w;
	uint64_t size, start, end;

	w.fd = open(dev, writable ? O_RDWR : O_RDONLY);
	if (w.fd < 0)
		die("%s: %s", dev, strerror(errno));
	size = dev_size(w.fd, dev);
	if (off > size || len > size - off)
		die("%s: range %#" PRIx64 "+%#" PRIx64 " is outside the device (size %#" PRIx64 ")",
		    dev, off, len, size);
	start = off & ~(ALIGN_2M - 1);
	end = (off + len + ALIGN_2M - 1) & ~(ALIGN_2M - 1);
	if (end > size)
		end = size;
	if (end == start)
		end = start + 1;
	w.len = end - start;
	w.base = mmap(NULL, w.len, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, w.fd, start);
	if (w.base == MAP_FAILED)
		die("%s: mmap %#" PRIx64 "+%#zx: %s", dev, start, w.len, strerror(errno));
	w.p = (char *)w.base + (off - start);
	return w;
}

static void unmap(struct window *w, int flush)
{
	struct stat st;

	if (flush && !fstat(w->fd, &st) && S_ISCHR(st.st_mode)) {
		/* device-dax has no fsync: write the lines back from the CPU cache ourselves. */
		for (char *p = w->base; p < (char *)w->base + w->len; p += 64)
			_mm_clflush(p);
		_mm_sfence();
	} else if (flush && msync(w->base, w->len, MS_SYNC)) {
		die("msync: %s", strerror(errno));
	}
	munmap(w->base, w->len);
	close(w->fd);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "", *dev = argc > 2 ? argv[2] : "";
	struct window w;

	if (!strcmp(cmd, "size") && argc == 3) {
		int fd = open(dev, O_RDONLY);

		if (fd < 0)
			die("%s: %s", dev, strerror(errno));
		printf("%" PRIu64 "\n", dev_size(fd, dev));
		return 0;
	}
	if (!strcmp(cmd, "write") && argc == 5) {
		size_t n = strlen(argv[4]);

		w = map(dev, num(argv[3], "offset"), n, 1);
		memcpy(w.p, argv[4], n);
		unmap(&w, 1);
		return 0;
	}
	if (!strcmp(cmd, "read") && argc == 5) {
		uint64_t n = num(argv[4], "length");

		w = map(dev, num(argv[3], "offset"), n, 0);
		for (uint64_t i = 0; i < n; i++)
			putchar(w.p[i] >= 32 && w.p[i] < 127 ? w.p[i] : '.');
		putchar('\n');
		unmap(&w, 0);
		return 0;
	}
	if (!strcmp(cmd, "wait") && argc == 6) {
		size_t n = strlen(argv[4]);
		uint64_t secs = num(argv[5], "seconds");
		time_t t0 = time(NULL);

		w = map(dev, num(argv[3], "offset"), n, 0);
		for (;;) {
			__sync_synchronize();
			if (!memcmp((const void *)w.p, argv[4], n))
				break;
			if ((uint64_t)(time(NULL) - t0) >= secs)
				die("%s: timed out after %" PRIu64 " s waiting for '%s' at %s", dev, secs, argv[4],
				    argv[3]);
			usleep(50000);
		}
		unmap(&w, 0);
		return 0;
	}
	if (!strcmp(cmd, "copyin") && argc == 5) {
		int in = open(argv[4], O_RDONLY);
		struct stat st;
		size_t done = 0;

		if (in < 0 || fstat(in, &st))
			die("%s: %s", argv[4], strerror(errno));
		w = map(dev, num(argv[3], "offset"), st.st_size, 1);
		while (done < (size_t)st.st_size) {
			ssize_t r = read(in, w.p + done, st.st_size - done);

			if (r <= 0)
				die("%s: read: %s", argv[4], r ? strerror(errno) : "unexpected end of file");
			done += r;
		}
		unmap(&w, 1);
		close(in);
		return 0;
	}
	if (!strcmp(cmd, "copyout") && argc == 6) {
		uint64_t n = num(argv[4], "length"), done = 0;
		int out = open(argv[5], O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (out < 0)
			die("%s: %s", argv[5], strerror(errno));
		w = map(dev, num(argv[3], "offset"), n, 0);
		while (done < n) {
			ssize_t r = write(out, w.p + done, n - done);

			if (r <= 0)
				die("%s: write: %s", argv[5], strerror(errno));
			done += r;
		}
		unmap(&w, 0);
		if (close(out))
			die("%s: close: %s", argv[5], strerror(errno));
		return 0;
	}
	if (!strcmp(cmd, "fnv") && argc == 5) {
		uint64_t n = num(argv[4], "length"), h = 0xcbf29ce484222325ULL;

		w = map(dev, num(argv[3], "offset"), n, 0);
		for (uint64_t i = 0; i < n; i++)
			h = (h ^ (unsigned char)w.p[i]) * 0x100000001b3ULL;
		printf("%016" PRIx64 "\n", h);
		unmap(&w, 0);
		return 0;
	}
	fprintf(stderr, "usage: daxio size|write|read|wait|copyin|copyout|fnv DEV ... (see the source header)\n");
	return 2;
}
