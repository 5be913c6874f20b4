// SPDX-License-Identifier: GPL-2.0-only
/*
 * poisoncheck: what reads and mappings of a file with bad blocks (poison) do, for the guest
 * scenario nvdimm-poison (guest/poison.sh).
 *
 *   poisoncheck read FILE REF OFF   read() FILE from byte OFF to its end, in one call and then
 *                          on from where it stopped; every byte returned must equal REF's at
 *                          the same offset. Prints "N bytes equal, then EIO" (or "..., then
 *                          EOF"): N is what the reads returned before the first error.
 *   poisoncheck touch FILE PAGE...  map FILE MAP_SHARED and read one byte of each page given
 *                          (in that order), in a fresh mapping each (so each is a new fault);
 *                          prints "PAGE ok" (the byte equals pread()'s) or "PAGE SIGBUS CODE"
 *                          (CODE: BUS_MCEERR_AR, BUS_MCEERR_AO, BUS_ADRERR, ..., the
 *                          signal's si_addr checked to be the page touched).
 *   poisoncheck hwpoison FILE PAGE  a child maps FILE and touches PAGE, then waits; this
 *                          process maps it, touches it, and injects a memory failure there
 *                          (madvise MADV_HWPOISON: CAP_SYS_ADMIN, CONFIG_MEMORY_FAILURE);
 *                          then both touch it again. Prints "madvise ok", "self: R" and
 *                          "other: R", R being "ok" or "SIGBUS CODE" as for touch.
 * Exit status 0 when every step ran (whatever the outcome printed), 1 on a usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096L

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif

static sigjmp_buf jump;
static volatile sig_atomic_t sig_code;
static void *volatile sig_addr;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	sig_code = si->si_code;
	sig_addr = si->si_addr;
	siglongjmp(jump, 1);
}

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "poisoncheck: %s %s: %s\n", what, arg, strerror(errno));
	exit(1);
}

static const char *code_name(int code)
{
	switch (code) {
	case BUS_ADRALN: return "BUS_ADRALN";
	case BUS_ADRERR: return "BUS_ADRERR";
	case BUS_OBJERR: return "BUS_OBJERR";
	case BUS_MCEERR_AR: return "BUS_MCEERR_AR";
	case BUS_MCEERR_AO: return "BUS_MCEERR_AO";
	default: return "BUS_OTHER";
	}
}

/*
 * Read the byte at p (page `page` of fd's file); "ok" if it equals the file's, else the SIGBUS
 * it raised. Writes the outcome to out.
 */
static void touch_one(int fd, volatile const char *p, long page, char *out, size_t n)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	char want;
	char got;

	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(jump, 1)) {
		snprintf(out, n, "SIGBUS %s%s", code_name(sig_code),
			 sig_addr == (const void *)p ? "" : " (si_addr is not the page)");
		return;
	}
	got = *p;
	if (pread(fd, &want, 1, page * PG) != 1)
		snprintf(out, n, "ok (pread failed: %s)", strerror(errno));
	else
		snprintf(out, n, got == want ? "ok" : "ok (byte differs from pread)");
}

static int cmd_read(const char *file, const char *ref, long long off)
{
	int fd = open(file, O_RDONLY), rfd = open(ref, O_RDONLY);
	static char buf[1 << 20], want[1 << 20];
	long long pos = off, total = 0;
	ssize_t n;

	if (fd < 0)
		die("open", file);
	if (rfd < 0)
		die("open", ref);
	for (;;) {
		n = pread(fd, buf, sizeof(buf), pos);
		if (n < 0) {
			printf("%lld bytes equal, then %s\n", total,
			       errno == EIO ? "EIO" : strerror(errno));
			return 0;
		}
		if (n == 0) {
			printf("%lld bytes equal, then EOF\n", total);
			return 0;
		}
		if (pread(rfd, want, n, pos) != n || memcmp(buf, want, n)) {
			printf("bytes at %lld differ from %s\n", pos, ref);
			return 0;
		}
		pos += n;
		total += n;
	}
}

static int cmd_touch(const char *file, int npages, char **pages)
{
	int fd = open(file, O_RDONLY);
	struct stat st;
	char out[128];
	int i;

	if (fd < 0 || fstat(fd, &st))
		die("open", file);
	for (i = 0; i < npages; i++) {
		long page = atol(pages[i]);
		char *m = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);

		if (m == MAP_FAILED)
			die("mmap", file);
		touch_one(fd, m + page * PG, page, out, sizeof(out));
		printf("%ld %s\n", page, out);
		munmap(m, st.st_size);
	}
	return 0;
}

static int cmd_hwpoison(const char *file, long page)
{
	int fd = open(file, O_RDONLY), go[2], res[2];
	char out[128], other[128] = "no answer";
	struct stat st;
	volatile char *m;
	pid_t pid;
	int status;
	char c;

	if (fd < 0 || fstat(fd, &st))
		die("open", file);
	if (pipe(go) || pipe(res))
		die("pipe", "");
	pid = fork();
	if (pid < 0)
		die("fork", "");
	if (pid == 0) {
		m = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			_exit(1);
		touch_one(fd, m + page * PG, page, out, sizeof(out));
		if (write(res[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		touch_one(fd, m + page * PG, page, out, sizeof(out));
		if (write(res[1], out, strlen(out) + 1) < 0)
			_exit(1);
		_exit(0);
	}
	m = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap", file);
	touch_one(fd, m + page * PG, page, out, sizeof(out));
	if (read(res[0], &c, 1) != 1)	/* the child has it mapped and touched */
		die("read", "child");
	if (madvise((void *)(m + page * PG), PG, MADV_HWPOISON))
		printf("madvise: %s\n", strerror(errno));
	else
		printf("madvise ok\n");
	touch_one(fd, m + page * PG, page, out, sizeof(out));
	printf("self: %s\n", out);
	if (write(go[1], "g", 1) != 1)
		die("write", "child");
	if (read(res[0], other, sizeof(other) - 1) <= 0)
		strcpy(other, "no answer");
	waitpid(pid, &status, 0);
	printf("other: %s\n", other);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "read"))
		return cmd_read(argv[2], argv[3], atoll(argv[4]));
	if (argc >= 4 && !strcmp(argv[1], "touch"))
		return cmd_touch(argv[2], argc - 3, argv + 3);
	if (argc == 4 && !strcmp(argv[1], "hwpoison"))
		return cmd_hwpoison(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: poisoncheck read FILE REF OFF | touch FILE PAGE... | hwpoison FILE PAGE\n");
	return 1;
}
