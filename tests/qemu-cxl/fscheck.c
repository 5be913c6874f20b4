// SPDX-License-Identifier: GPL-2.0-only
/*
 * fscheck: compare a filesystem tree with its source, for guest tests. The same binary runs on
 * the host (over the source tree) and in the guest (over the daxfs mount), so the outputs are
 * comparable byte for byte.
 *
 *   fscheck manifest DIR   one line per entry, sorted by path: type/mode, uid, gid, nlink,
 *                          size (files, symlinks), mtime (s.ns), rdev, symlink target, content
 *                          hash (read()), xattrs (name=hex value, sorted)
 *   fscheck mmap FILE      maps FILE MAP_SHARED and MAP_PRIVATE: both must equal read();
 *                          a write to the private mapping must stay private and copy only
 *                          the page written (smaps: Anonymous 4 kB per page written). Prints
 *                          "faults=N": page faults taken touching the first 2 MiB of the
 *                          shared mapping (1 with a PMD mapping, 512 with 4 KiB pages).
 *   fscheck read FILE      read FILE in 128 KiB reads, print its hash
 *   fscheck maphash FILE   FILE's hash as read's, taken through a MAP_SHARED mapping only
 *                          (no read(): the file's first use in a mount may be its mmap)
 *   fscheck splice FILE    FILE through splice(2) into a pipe (the path sendfile takes), read
 *                          back from the pipe; prints the hash, which must equal read's
 *   fscheck openexcl DEV   open DEV with O_EXCL (a block device: an exclusive claim, as a
 *                          filesystem's); prints "opened" or the error, exit 0 / 1
 *   fscheck dirpos DIR     readdir, getdents64 with a 64-byte buffer, and telldir/seekdir
 *                          from the middle must all give the same entries; prints the count
 *   fscheck as UID GID CMD...   run CMD with those ids (groups: GID only), no capabilities
 *   fscheck nocap CAP CMD...    run CMD without capability number CAP (dropped from the
 *                          bounding set, so an exec as root does not get it back)
 *   fscheck ids            prints "euid=N egid=N capeff=HEX" (a setuid or capable copy of
 *                          fscheck shows what it gained)
 *   fscheck open FILE      open FILE read-only; prints "opened" or the error, exit 0 / 1
 *   fscheck getxattr FILE NAME   prints the value in hex, or the error (exit 1)
 *   fscheck handle MNT PATH     name_to_handle_at(PATH), drop the dentry and inode caches,
 *                          open_by_handle_at(MNT): prints the path /proc/self/fd shows and,
 *                          for a file, whether its content is the same; then the same handle
 *                          with inode number 0x7fffffff: prints that open's error
 *   fscheck attrs FILE     statx STATX_ATTR_IMMUTABLE, FS_IOC_GETFLAGS immutable,
 *                          FS_IOC_GETFSLABEL, an O_DIRECT open + read, a RWF_NOWAIT read
 * Exit status 0 on success, 1 with a message otherwise.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what, const char *path)
{
	fprintf(stderr, "fscheck: %s: %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}
#define FNV0 0xcbf29ce484222325ULL

static uint64_t hash_read(const char *path)
{
	static unsigned char buf[128 << 10];
	uint64_t h = FNV0;
	ssize_t r;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die("open", path);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		h = fnv(h, buf, r);
	if (r < 0)
		die("read", path);
	close(fd);
	return h;
}

static char **lines;
static size_t nlines, cap;
static size_t root_len;

static void add_line(char *l)
{
	if (nlines == cap) {
		cap = cap ? cap * 2 : 1024;
		lines = realloc(lines, cap * sizeof(*lines));
		if (!lines)
			exit(1);
	}
	lines[nlines++] = l;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void xattrs(const char *path, FILE *out)
{
	char names[65536], *n, *sorted[512];
	ssize_t len = llistxattr(path, names, sizeof(names));
	size_t k = 0;

	if (len < 0)
		die("llistxattr", path);
	for (n = names; n < names + len && k < 512; n += strlen(n) + 1)
		sorted[k++] = n;
	qsort(sorted, k, sizeof(char *), cmp_names);
	for (size_t i = 0; i < k; i++) {
		unsigned char v[65536];
		ssize_t vl = lgetxattr(path, sorted[i], v, sizeof(v));

		if (vl < 0)
			die("lgetxattr", path);
		fprintf(out, " %s=", sorted[i]);
		for (ssize_t j = 0; j < vl; j++)
			fprintf(out, "%02x", v[j]);
	}
}

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char *l = NULL, target[4096];
	size_t sz = 0;
	FILE *out = open_memstream(&l, &sz);
	const char *rel = path[root_len] ? path + root_len : "/";

	(void)flag;
	(void)ftw;
	fprintf(out, "%s %06o %u %u %lu", rel, st->st_mode, st->st_uid, st->st_gid, (unsigned long)st->st_nlink);
	fprintf(out, " m=%lld.%09ld", (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	if (S_ISREG(st->st_mode))
		fprintf(out, " size=%lld h=%016" PRIx64, (long long)st->st_size, hash_read(path));
	if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlink(path, target, sizeof(target) - 1);

		if (n < 0)
			die("readlink", path);
		target[n] = 0;
		fprintf(out, " size=%lld -> %s", (long long)st->st_size, target);
	}
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		fprintf(out, " rdev=%u:%u", major(st->st_rdev), minor(st->st_rdev));
	xattrs(path, out);
	fclose(out);
	add_line(l);
	return 0;
}

static int manifest(const char *dir)
{
	root_len = strlen(dir);
	while (root_len > 1 && dir[root_len - 1] == '/')
		root_len--;
	if (nftw(dir, visit, 64, FTW_PHYS))
		die("walk", dir);
	qsort(lines, nlines, sizeof(*lines), cmp_names);
	for (size_t i = 0; i < nlines; i++)
		puts(lines[i]);
	return 0;
}

/* Page faults taken touching the first 2 MiB of a fresh mapping: 1 when it is mapped with a
 * PMD, 512 with 4 KiB pages (daxfs has no fault-around).
 */
static long faults_touching(const unsigned char *p, off_t size)
{
	struct rusage a, b;
	volatile unsigned char sink = 0;
	off_t n = size < (2 << 20) ? size : (2 << 20);

	getrusage(RUSAGE_SELF, &a);
	for (off_t i = 0; i < n; i += 4096)
		sink ^= p[i];
	getrusage(RUSAGE_SELF, &b);
	(void)sink;
	return b.ru_minflt - a.ru_minflt + b.ru_majflt - a.ru_majflt;
}

/* The "Anonymous:" of the mapping starting at addr in /proc/self/smaps, in kB (-1: not found). */
static long smaps_anon_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long start, end;
	char line[512];
	long kb = -1;
	int in = 0;

	if (!f)
		die("open", "/proc/self/smaps");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in = start == (unsigned long)addr;
			continue;
		}
		if (in && sscanf(line, "Anonymous: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* A MAP_PRIVATE write copies only the page written: the mapping's anonymous memory is exact. */
static int expect_anon(const void *p, long want_kb, const char *path)
{
	long kb = smaps_anon_kb(p);

	if (kb != want_kb) {
		fprintf(stderr, "fscheck: %s: MAP_PRIVATE mapping has Anonymous %ld kB, want %ld kB\n",
			path, kb, want_kb);
		return 1;
	}
	printf("private write: Anonymous %ld kB\n", kb);
	return 0;
}

static int check_mmap(const char *path)
{
	struct stat st;
	uint64_t want = hash_read(path);
	int fd = open(path, O_RDONLY);
	unsigned char *s, *p;

	if (fd < 0 || fstat(fd, &st))
		die("open", path);
	if (!st.st_size) {
		fprintf(stderr, "fscheck: %s is empty\n", path);
		return 1;
	}
	s = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED)
		die("mmap MAP_SHARED", path);
	printf("faults=%ld\n", faults_touching(s, st.st_size));
	if (fnv(FNV0, s, st.st_size) != want) {
		fprintf(stderr, "fscheck: %s: MAP_SHARED content differs from read()\n", path);
		return 1;
	}
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		die("mmap MAP_PRIVATE", path);
	if (fnv(FNV0, p, st.st_size) != want) {
		fprintf(stderr, "fscheck: %s: MAP_PRIVATE content differs from read()\n", path);
		return 1;
	}
	p[0] ^= 0xff;
	if (expect_anon(p, 4, path))
		return 1;
	p[st.st_size - 1] ^= 0x55;
	if (expect_anon(p, st.st_size > 4096 ? 8 : 4, path))
		return 1;
	if (fnv(FNV0, p, st.st_size) == want || s[0] == p[0]) {
		fprintf(stderr, "fscheck: %s: a private write was not private\n", path);
		return 1;
	}
	if (fnv(FNV0, s, st.st_size) != want || hash_read(path) != want) {
		fprintf(stderr, "fscheck: %s: a MAP_PRIVATE write changed the file\n", path);
		return 1;
	}
	printf("mmap ok\n");
	return 0;
}

static int maphash(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	unsigned char *s;

	if (fd < 0 || fstat(fd, &st))
		die("open", path);
	if (!st.st_size) {
		printf("%016" PRIx64 "\n", (uint64_t)FNV0);
		return 0;
	}
	s = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED)
		die("mmap MAP_SHARED", path);
	printf("%016" PRIx64 "\n", fnv(FNV0, s, st.st_size));
	munmap(s, st.st_size);
	close(fd);
	return 0;
}

static size_t list_dir(DIR *d, char ***out)
{
	struct dirent *e;
	size_t n = 0;

	*out = NULL;
	while ((e = readdir(d))) {
		*out = realloc(*out, (n + 1) * sizeof(char *));
		(*out)[n++] = strdup(e->d_name);
	}
	return n;
}

static int same(char **a, size_t na, char **b, size_t nb, const char *what)
{
	if (na != nb) {
		fprintf(stderr, "fscheck: %s: %zu entries, want %zu\n", what, nb, na);
		return 0;
	}
	for (size_t i = 0; i < na; i++) {
		if (strcmp(a[i], b[i])) {
			fprintf(stderr, "fscheck: %s: entry %zu is '%s', want '%s'\n", what, i, b[i], a[i]);
			return 0;
		}
	}
	return 1;
}

static int dirpos(const char *path)
{
	char **all, **small = NULL, **r1, **r2;
	/* 64 bytes: room for one or two entries per call. */
	static char buf[64] __attribute__((aligned(8)));
	size_t n, ns = 0, n1, n2, half;
	DIR *d = opendir(path);
	long pos, r;
	int fd;

	if (!d)
		die("opendir", path);
	n = list_dir(d, &all);
	closedir(d);

	fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		die("open", path);
	while ((r = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < r;) {
			unsigned short reclen;

			memcpy(&reclen, buf + off + offsetof(struct dirent64, d_reclen), sizeof(reclen));
			small = realloc(small, (ns + 1) * sizeof(char *));
			small[ns++] = strdup(buf + off + offsetof(struct dirent64, d_name));
			off += reclen;
		}
	}
	if (r < 0)
		die("getdents64", path);
	close(fd);
	if (!same(all, n, small, ns, "getdents64 with a 64-byte buffer"))
		return 1;

	d = opendir(path);
	half = n / 2;
	for (size_t i = 0; i < half; i++)
		readdir(d);
	pos = telldir(d);
	n1 = list_dir(d, &r1);
	seekdir(d, pos);
	n2 = list_dir(d, &r2);
	closedir(d);
	if (!same(all + half, n - half, r1, n1, "rest after telldir") ||
	    !same(all + half, n - half, r2, n2, "rest after seekdir"))
		return 1;
	printf("%zu entries\n", n);
	return 0;
}

static int run_as(char **argv)
{
	uid_t uid = strtoul(argv[0], NULL, 0);
	gid_t gid = strtoul(argv[1], NULL, 0);

	if (setgroups(1, &gid) || setgid(gid) || setuid(uid))
		die("setuid", argv[0]);
	execvp(argv[2], argv + 2);
	die("exec", argv[2]);
	return 1;
}

static int run_nocap(char **argv)
{
	if (prctl(PR_CAPBSET_DROP, strtoul(argv[0], NULL, 0), 0, 0, 0))
		die("PR_CAPBSET_DROP", argv[0]);
	execvp(argv[1], argv + 1);
	die("exec", argv[1]);
	return 1;
}

static int ids(void)
{
	char line[256], cap[64] = "?";
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %63s", cap) == 1)
			break;
	if (f)
		fclose(f);
	printf("euid=%d egid=%d capeff=%s\n", (int)geteuid(), (int)getegid(), cap);
	return 0;
}

static int attrs(const char *path)
{
	struct statx stx;
	char label[FSLABEL_MAX] = "", *buf;
	int fd, flags = 0;
	struct iovec iov;
	ssize_t n;

	if (syscall(SYS_statx, AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx))
		die("statx", path);
	printf("statx_immutable=%d", !!(stx.stx_attributes & STATX_ATTR_IMMUTABLE));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open", path);
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
		printf(" getflags=%s", strerror(errno));
	else
		printf(" getflags_immutable=%d", !!(flags & FS_IMMUTABLE_FL));
	if (ioctl(fd, FS_IOC_GETFSLABEL, label))
		printf(" label=(%s)", strerror(errno));
	else
		printf(" label=%s", label);
	buf = aligned_alloc(4096, 4096);
	iov.iov_base = buf;
	iov.iov_len = 4096;
	n = preadv2(fd, &iov, 1, 0, RWF_NOWAIT);
	printf(" nowait=%s", n >= 0 ? "ok" : strerror(errno));
	close(fd);
	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		printf(" direct=(open: %s)\n", strerror(errno));
	} else {
		n = pread(fd, buf, 4096, 0);
		printf(" direct=%s\n", n >= 0 ? "ok" : strerror(errno));
		close(fd);
	}
	free(buf);
	return 0;
}

static int handle(const char *mnt, const char *path)
{
	struct file_handle *fh = calloc(1, sizeof(*fh) + MAX_HANDLE_SZ);
	char link[64], target[4096];
	int mid, mfd, fd, dc;
	struct stat st;
	ssize_t n;

	fh->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, fh, &mid, 0))
		die("name_to_handle_at", path);
	if (lstat(path, &st))
		die("lstat", path);
	mfd = open(mnt, O_RDONLY | O_DIRECTORY);
	if (mfd < 0)
		die("open", mnt);
	sync();
	dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (dc < 0 || write(dc, "2", 1) != 1)
		die("drop_caches", path);
	close(dc);
	fd = open_by_handle_at(mfd, fh, O_RDONLY);
	if (fd < 0)
		die("open_by_handle_at", path);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		die("readlink", link);
	target[n] = 0;
	printf("type=%d path=%s", fh->handle_type, target);
	if (S_ISREG(st.st_mode)) {
		char fdpath[64];

		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		printf(" same_content=%d", hash_read(fdpath) == hash_read(path));
	}
	close(fd);
	if (fh->handle_bytes >= 4) {
		uint32_t bad = 0x7fffffff;

		memcpy(fh->f_handle, &bad, 4);
		fd = open_by_handle_at(mfd, fh, O_RDONLY);
		printf(" bad_ino=%s", fd < 0 ? strerror(errno) : "opened");
		if (fd >= 0)
			close(fd);
	}
	printf("\n");
	close(mfd);
	free(fh);
	return 0;
}

/* FILE's bytes through splice(2) into a pipe, read back from the pipe, hashed as hash_read(). */
static uint64_t hash_splice(const char *path)
{
	static unsigned char buf[64 << 10];
	uint64_t h = FNV0;
	int fd = open(path, O_RDONLY), p[2];
	loff_t off = 0;
	ssize_t n, r;

	if (fd < 0)
		die("open", path);
	if (pipe(p))
		die("pipe", path);
	while ((n = splice(fd, &off, p[1], NULL, sizeof(buf), 0)) > 0) {
		while (n > 0) {
			r = read(p[0], buf, n);
			if (r <= 0)
				die("read from the pipe", path);
			h = fnv(h, buf, r);
			n -= r;
		}
	}
	if (n < 0)
		die("splice", path);
	close(p[0]);
	close(p[1]);
	close(fd);
	return h;
}

static int getxattr_hex(const char *path, const char *name)
{
	unsigned char v[65536];
	ssize_t i, n = lgetxattr(path, name, v, sizeof(v));

	if (n < 0) {
		printf("%s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("%02x", v[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "as"))
		return run_as(argv + 2);
	if (argc >= 4 && !strcmp(argv[1], "nocap"))
		return run_nocap(argv + 2);
	if (argc == 2 && !strcmp(argv[1], "ids"))
		return ids();
	if (argc == 4 && !strcmp(argv[1], "handle"))
		return handle(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "attrs"))
		return attrs(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "getxattr"))
		return getxattr_hex(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "open")) {
		int fd = open(argv[2], O_RDONLY | O_NONBLOCK);

		if (fd < 0) {
			printf("%s\n", strerror(errno));
			return 1;
		}
		close(fd);
		printf("opened\n");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "dirpos"))
		return dirpos(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "manifest"))
		return manifest(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "mmap"))
		return check_mmap(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "openexcl")) {
		if (open(argv[2], O_RDONLY | O_EXCL) < 0) {
			printf("%s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		printf("opened\n");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "read")) {
		printf("%016" PRIx64 "\n", hash_read(argv[2]));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "maphash"))
		return maphash(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "splice")) {
		printf("%016" PRIx64 "\n", hash_splice(argv[2]));
		return 0;
	}
	fprintf(stderr, "usage: fscheck manifest DIR | mmap FILE | read FILE | splice FILE | openexcl DEV\n");
	return 2;
}
