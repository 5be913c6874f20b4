// SPDX-License-Identifier: GPL-2.0-only
/*
 * daxbench: the timed operations of bench/ (host and guest; the guest's busybox has no
 * sub-second clock). Every time is CLOCK_MONOTONIC around the operation alone.
 *
 *   daxbench readall PATH        read every regular file under PATH (or the file PATH) in
 *                                128 KiB reads; prints "files=N bytes=N seconds=S"
 *   daxbench statnames DIR LIST  lstat DIR/NAME for every line of LIST (all read into memory
 *                                first: only the lstat calls are timed); prints
 *                                "stats=N us_per_stat=U"; fails if a name is missing
 *   daxbench statmissing DIR LIST  the same for names that do not exist: every lstat must fail
 *                                with ENOENT (a negative lookup); fails if a name is found
 *   daxbench mount TYPE SRC DIR OPTS   one mount(2) (read-only); prints "seconds=S"
 *   daxbench memcpy DEV OFF FILE       the peer of `daxpool load`: FILE and DEV (a device-dax
 *                                instance, or a regular file) both mapped shared, one memcpy of
 *                                FILE's bytes to DEV at OFF (2 MiB aligned), then what makes
 *                                them durable without flushing lines one by one: an sfence for a
 *                                device, msync(MS_SYNC) of the range for a file; prints
 *                                "bytes=N seconds=S"
 *   daxbench time CMD [ARG...]   run CMD, wait for it; prints "seconds=S" on stderr, exits
 *                                with CMD's status
 * Exit status 0 on success, 1 with a message otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define ALIGN_2M (2ULL << 20)

static void die(const char *what, const char *path)
{
	fprintf(stderr, "daxbench: %s: %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int statnames(const char *dir, const char *list, int missing)
{
	char line[512], **paths = NULL;
	size_t n = 0, cap = 0, i;
	int r = 0;
	double t0, t1;
	struct stat st;
	FILE *f = fopen(list, "r");

	if (!f)
		die("open", list);
	/* Every path is built before the clock starts: only the lstat calls are timed. */
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			paths = realloc(paths, cap * sizeof(*paths));
			if (!paths)
				die("realloc", list);
		}
		if (asprintf(&paths[n], "%s/%s", dir, line) < 0)
			die("asprintf", list);
		n++;
	}
	if (ferror(f))
		die("read", list);
	fclose(f);
	t0 = seconds();
	for (i = 0; i < n; i++) {
		r = lstat(paths[i], &st);
		if (missing ? !r || errno != ENOENT : r)
			break;
	}
	t1 = seconds();
	if (i < n) {
		if (r)
			die("lstat", paths[i]);
		fprintf(stderr, "daxbench: lstat: %s: exists\n", paths[i]);
		exit(1);
	}
	printf("stats=%zu us_per_stat=%.2f\n", n, n ? (t1 - t0) * 1e6 / n : 0.0);
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return 0;
}

static long long ra_bytes, ra_files;

static int readall_visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	static unsigned char buf[128 << 10];
	ssize_t r;
	int fd;

	(void)flag;
	(void)ftw;
	if (!S_ISREG(st->st_mode))
		return 0;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open", path);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		ra_bytes += r;
	if (r < 0)
		die("read", path);
	close(fd);
	ra_files++;
	return 0;
}

static int readall(const char *path)
{
	double t0 = seconds();

	if (nftw(path, readall_visit, 64, FTW_PHYS))
		die("walk", path);
	printf("files=%lld bytes=%lld seconds=%.3f\n", ra_files, ra_bytes, seconds() - t0);
	return 0;
}

static int timed_mount(const char *type, const char *src, const char *dir, const char *opts)
{
	double t0 = seconds();

	if (mount(src, dir, type, MS_RDONLY, opts))
		die("mount", src);
	printf("seconds=%.6f\n", seconds() - t0);
	return 0;
}

static uint64_t num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "daxbench: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

/* The size of a regular file, a block device or a device-dax instance (from sysfs). */
static uint64_t dev_size(int fd, const char *dev)
{
	struct stat st;
	char path[128];
	unsigned long long sz = 0;
	FILE *f;

	if (fstat(fd, &st))
		die("stat", dev);
	if (S_ISREG(st.st_mode))
		return st.st_size;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/size", major(st.st_rdev), minor(st.st_rdev));
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &sz) != 1)
		die("cannot read the size from", path);
	fclose(f);
	return sz;
}

static int copy(const char *dev, uint64_t off, const char *file)
{
	struct stat st, ost;
	int in = open(file, O_RDONLY), out = open(dev, O_RDWR);
	uint64_t len, map_len;
	void *src, *dst;
	double t0, t;

	if (in < 0 || fstat(in, &st))
		die("open", file);
	if (out < 0 || fstat(out, &ost))
		die("open", dev);
	if (off % ALIGN_2M) {
		fprintf(stderr, "daxbench: offset %" PRIu64 " is not 2 MiB aligned\n", off);
		return 2;
	}
	len = st.st_size;
	map_len = (len + ALIGN_2M - 1) & ~(ALIGN_2M - 1);
	if (off > dev_size(out, dev) || map_len > dev_size(out, dev) - off) {
		fprintf(stderr, "daxbench: %s: %" PRIu64 " bytes at %" PRIu64 " do not fit\n", dev, map_len, off);
		return 1;
	}
	src = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, in, 0);
	if (src == MAP_FAILED)
		die("mmap", file);
	dst = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, out, off);
	if (dst == MAP_FAILED)
		die("mmap", dev);
	t0 = seconds();
	memcpy(dst, src, len);
	if (S_ISREG(ost.st_mode)) {
		if (msync(dst, map_len, MS_SYNC))
			die("msync", dev);
	} else {
		_mm_sfence();
	}
	t = seconds() - t0;
	printf("bytes=%" PRIu64 " seconds=%.6f\n", len, t);
	munmap(dst, map_len);
	munmap(src, len);
	close(out);
	close(in);
	return 0;
}

static int timed(char **argv)
{
	double t0 = seconds();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork", argv[0]);
	if (pid == 0) {
		execvp(argv[0], argv);
		die("exec", argv[0]);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("wait", argv[0]);
	fprintf(stderr, "seconds=%.6f\n", seconds() - t0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "readall"))
		return readall(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "statnames"))
		return statnames(argv[2], argv[3], 0);
	if (argc == 4 && !strcmp(argv[1], "statmissing"))
		return statnames(argv[2], argv[3], 1);
	if (argc == 6 && !strcmp(argv[1], "mount"))
		return timed_mount(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 5 && !strcmp(argv[1], "memcpy"))
		return copy(argv[2], num(argv[3], "offset"), argv[4]);
	if (argc >= 3 && !strcmp(argv[1], "time"))
		return timed(argv + 2);
	fprintf(stderr, "usage: daxbench readall PATH | statnames DIR LIST | statmissing DIR LIST | mount TYPE SRC DIR OPTS | "
			"memcpy DEV OFF FILE | time CMD [ARG...]\n");
	return 2;
}
