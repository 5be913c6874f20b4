// SPDX-License-Identifier: GPL-2.0-only
/*
 * mapcheck: how a file's mappings are made (page size by fault count) and what the kernel can
 * do with them, for guest tests and the mmap bench.
 *
 *   mapcheck touch FILE [skew]   map FILE MAP_SHARED, read one byte of every page, then
 *                          compare the whole mapping with pread(). Prints "pages=N faults=N
 *                          usec=N": the minor faults and the time the touching took (a 2 MiB
 *                          PMD mapping is one fault per 512 pages, 4 KiB pages one fault each;
 *                          daxfs has no fault-around). The kernel places a file mapping so that
 *                          its 2 MiB file offsets fall on 2 MiB addresses; with "skew" it is
 *                          placed (MAP_FIXED) 4 KiB off that grid, so no PMD can map it. Then
 *                          maps the file MAP_PRIVATE (as placed), reads it, writes one byte of
 *                          its second page: that page alone must differ (checked over the
 *                          first 4 MiB), the shared mapping and the file must not ("private
 *                          write ok").
 *   mapcheck gup FILE      map FILE MAP_SHARED and read the mapping with process_vm_readv()
 *                          on this very process: the kernel pins the mapped pages
 *                          (get_user_pages), which raw-pfn mappings refuse (EFAULT). Prints
 *                          "gup: N bytes, equal to read()" or the error (exit 1).
 *   mapcheck pagemap FILE  map FILE MAP_SHARED, read one byte of every page, then look each
 *                          page up in /proc/self/pagemap and (its frame, as root) in
 *                          /proc/kpagecount. Prints "pagemap: pages=N present=N file=N
 *                          mapped=N": "file" counts the present PTEs pagemap marks as pages
 *                          of a file (bit 61; a special PTE of a raw frame has no page for the
 *                          kernel and is not marked), "mapped" the present pages whose map
 *                          count is at least 1 (a page inserted as a page is in the rmap; a
 *                          raw frame adds nothing to it).
 *   mapcheck hold FILE FIFO   touch FILE's shared mapping as "touch" does, print
 *                          "touched faults=N", then wait for a line on FIFO; then read
 *                          /proc/self/smaps and the mapping's /proc/self/pagemap entries,
 *                          clear its referenced bits (/proc/self/clear_refs), touch every
 *                          page again and compare: prints "again faults=N" (0 if the mapping
 *                          survived, a fault per page or per PMD if it was zapped).
 *   mapcheck cow FILE FIFO    map FILE MAP_PRIVATE, read its first two pages, write its first
 *                          page (a copy-on-write: the process's own memory now), print
 *                          "written", wait for a line on FIFO (the device is removed meanwhile);
 *                          then read both pages again: the written page must still hold what
 *                          was written, the unwritten one (the file's, zapped) must fault
 *                          SIGBUS. Prints "written page kept" and "unwritten page: SIGBUS".
 * Exit status 0 on success, 1 with a message otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PG 4096L

static void die(const char *what, const char *path)
{
	fprintf(stderr, "mapcheck: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static long minflt(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return r.ru_minflt + r.ru_majflt;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Read one byte of every page of [p, p + len); returns the faults taken, *usec the time. */
static long touch(const unsigned char *p, size_t len, long *usec)
{
	volatile unsigned char sink = 0;
	long f0 = minflt();
	double t0 = now();

	for (size_t i = 0; i < len; i += PG)
		sink ^= p[i];
	(void)sink;
	if (usec)
		*usec = (long)((now() - t0) * 1e6);
	return minflt() - f0;
}

/* Whether [p, p + len) equals the file, read with pread() in 1 MiB pieces. */
static int equal_to_file(int fd, const unsigned char *p, size_t len, const char *path)
{
	static unsigned char buf[1 << 20];

	for (size_t done = 0; done < len;) {
		size_t want = len - done < sizeof(buf) ? len - done : sizeof(buf);
		ssize_t n = pread(fd, buf, want, done);

		if (n <= 0)
			die("pread", path);
		if (memcmp(buf, p + done, n)) {
			fprintf(stderr, "mapcheck: %s: the mapping differs from pread() in [%zu, %zu)\n",
				path, done, done + n);
			return 0;
		}
		done += n;
	}
	return 1;
}

static int open_size(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		die("open", path);
	if (!st.st_size) {
		fprintf(stderr, "mapcheck: %s is empty\n", path);
		exit(1);
	}
	*len = st.st_size;
	return fd;
}

/* Map the whole file, as the kernel places it or (skew) 4 KiB past a 2 MiB boundary. */
static void *map(int fd, size_t len, int prot, int flags, int skew, const char *path)
{
	uintptr_t at;
	void *p;

	if (!skew) {
		p = mmap(NULL, len, prot, flags, fd, 0);
	} else {
		p = mmap(NULL, len + (4 << 20), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("reserve", path);
		at = (((uintptr_t)p + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1)) + PG;
		p = mmap((void *)at, len, prot, flags | MAP_FIXED, fd, 0);
	}
	if (p == MAP_FAILED)
		die("mmap", path);
	return p;
}

static int cmd_touch(const char *path, int skew)
{
	size_t len;
	int fd = open_size(path, &len);
	unsigned char *s, *p;
	long usec, faults;
	size_t near;

	s = map(fd, len, PROT_READ, MAP_SHARED, skew, path);
	faults = touch(s, len, &usec);
	printf("pages=%zu faults=%ld usec=%ld\n", (len + PG - 1) / PG, faults, usec);
	if (!equal_to_file(fd, s, len, path))
		return 1;
	if (len < 3 * PG)
		return 0;
	/* The private write splits the PMD it falls in: compare that one and the next (at most
	 * 4 MiB: whole passes over a big file cost minutes in emulated CXL memory). */
	p = map(fd, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0, path);
	touch(p, len, NULL);
	near = len < (4 << 20) ? len : (4 << 20);
	p[PG + 7] ^= 0xff;
	if (p[PG + 7] == s[PG + 7] || memcmp(p, s, PG + 7) ||
	    memcmp(p + PG + 8, s + PG + 8, near - PG - 8)) {
		fprintf(stderr, "mapcheck: %s: a MAP_PRIVATE write did not change exactly its byte\n",
			path);
		return 1;
	}
	if (!equal_to_file(fd, s, near, path))
		return 1;
	printf("private write ok\n");
	return 0;
}

static int cmd_gup(const char *path)
{
	size_t len;
	int fd = open_size(path, &len);
	unsigned char *s = map(fd, len, PROT_READ, MAP_SHARED, 0, path);
	unsigned char *buf = malloc(len);
	struct iovec local = { buf, len }, remote;
	ssize_t n;

	if (!buf)
		die("malloc", path);
	remote.iov_base = s;
	remote.iov_len = len;
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (n < 0) {
		printf("gup: process_vm_readv: %s\n", strerror(errno));
		return 1;
	}
	if ((size_t)n != len) {
		printf("gup: process_vm_readv read %zd of %zu bytes\n", n, len);
		return 1;
	}
	if (!equal_to_file(fd, buf, len, path))
		return 1;
	printf("gup: %zd bytes, equal to read()\n", n);
	return 0;
}

static int cmd_pagemap(const char *path)
{
	size_t len;
	int fd = open_size(path, &len), pm, kc;
	unsigned char *s = map(fd, len, PROT_READ, MAP_SHARED, 0, path);
	uint64_t e, pfn, count, pages = 0, present = 0, file = 0, mapped = 0;

	touch(s, len, NULL);
	pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0)
		die("open", "/proc/self/pagemap");
	kc = open("/proc/kpagecount", O_RDONLY);
	if (kc < 0)
		die("open", "/proc/kpagecount");
	for (size_t i = 0; i < len; i += PG, pages++) {
		if (pread(pm, &e, sizeof(e), ((uintptr_t)s + i) / PG * sizeof(e)) != sizeof(e))
			die("pread", "/proc/self/pagemap");
		if (!(e >> 63))
			continue;
		present++;
		file += (e >> 61) & 1;
		pfn = e & ((1ULL << 55) - 1);
		if (!pfn) {
			fprintf(stderr, "mapcheck: %s: no frame numbers in pagemap (root?)\n", path);
			return 1;
		}
		if (pread(kc, &count, sizeof(count), pfn * sizeof(count)) != sizeof(count))
			die("pread", "/proc/kpagecount");
		mapped += count > 0;
	}
	printf("pagemap: pages=%" PRIu64 " present=%" PRIu64 " file=%" PRIu64 " mapped=%" PRIu64
	       "\n", pages, present, file, mapped);
	return 0;
}

/* Read a whole file, discarding it (the kernel walks the page tables to make it). */
static void slurp(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die("open", path);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

static int cmd_hold(const char *path, const char *fifo)
{
	size_t len;
	int fd = open_size(path, &len), pm, cr;
	unsigned char *s = map(fd, len, PROT_READ, MAP_SHARED, 0, path);
	uint64_t e, present = 0;
	char line[64];
	FILE *f;

	printf("touched faults=%ld\n", touch(s, len, NULL));
	fflush(stdout);
	f = fopen(fifo, "r");
	if (!f || !fgets(line, sizeof(line), f))
		die("read", fifo);
	fclose(f);
	slurp("/proc/self/smaps");
	pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0)
		die("open", "/proc/self/pagemap");
	for (size_t i = 0; i < len; i += PG) {
		if (pread(pm, &e, sizeof(e), ((uintptr_t)s + i) / PG * sizeof(e)) != sizeof(e))
			die("pread", "/proc/self/pagemap");
		present += e >> 63;
	}
	close(pm);
	cr = open("/proc/self/clear_refs", O_WRONLY);
	if (cr < 0 || write(cr, "1", 1) != 1)
		die("write", "/proc/self/clear_refs");
	close(cr);
	printf("present before touching again=%" PRIu64 "\n", present);
	printf("again faults=%ld\n", touch(s, len, NULL));
	return equal_to_file(fd, s, len, path) ? 0 : 1;
}

static sigjmp_buf bus_jmp;

static void on_bus(int sig __attribute__((unused)))
{
	siglongjmp(bus_jmp, 1);
}

/* Read p[0..len): 0, or 1 if that faulted SIGBUS; the sum of the bytes in *sum. */
static int read_or_bus(const volatile unsigned char *p, size_t len, unsigned long *sum)
{
	struct sigaction sa = { .sa_handler = on_bus };

	sigaction(SIGBUS, &sa, NULL);
	*sum = 0;
	if (sigsetjmp(bus_jmp, 1))
		return 1;
	for (size_t i = 0; i < len; i++)
		*sum += p[i];
	return 0;
}

static int cmd_cow(const char *path, const char *fifo)
{
	size_t len;
	int fd = open_size(path, &len);
	unsigned char *p, want[PG];
	unsigned long sum, want_sum = 0;
	char line[64];
	FILE *f;

	if (len < 2 * PG) {
		fprintf(stderr, "mapcheck: %s: cow needs a file of two pages at least\n", path);
		return 1;
	}
	p = map(fd, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0, path);
	if (read_or_bus(p, 2 * PG, &sum))
		die("read before the removal", path);
	for (size_t i = 0; i < PG; i++) {
		want[i] = (unsigned char)(p[i] ^ 0x5a ^ i);
		want_sum += want[i];
	}
	memcpy(p, want, PG);
	printf("written\n");
	fflush(stdout);
	f = fopen(fifo, "r");
	if (!f || !fgets(line, sizeof(line), f))
		die("read", fifo);
	fclose(f);
	if (read_or_bus(p, PG, &sum)) {
		printf("written page: SIGBUS (the private copy was thrown away)\n");
		return 1;
	}
	if (sum != want_sum || memcmp(p, want, PG)) {
		printf("written page changed\n");
		return 1;
	}
	printf("written page kept\n");
	if (!read_or_bus(p + PG, PG, &sum)) {
		printf("unwritten page: still readable after the removal\n");
		return 1;
	}
	printf("unwritten page: SIGBUS\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "touch"))
		return cmd_touch(argv[2], 0);
	if (argc == 4 && !strcmp(argv[1], "touch") && !strcmp(argv[3], "skew"))
		return cmd_touch(argv[2], 1);
	if (argc == 3 && !strcmp(argv[1], "gup"))
		return cmd_gup(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "pagemap"))
		return cmd_pagemap(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "hold"))
		return cmd_hold(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "cow"))
		return cmd_cow(argv[2], argv[3]);
	fprintf(stderr,
		"usage: mapcheck touch FILE [skew] | gup FILE | pagemap FILE | hold FILE FIFO |"
		" cow FILE FIFO\n");
	return 2;
}
