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
 *                          then both touch it again. Prints "madvise ok", "self: early E; then
 *                          R" (E the SIGBUS this process got during madvise, as earlykill
 *                          says) and "other: R", R being "ok" or "SIGBUS CODE" as for touch.
 *   poisoncheck earlykill FILE PAGE  early kill: children map FILE, each at its own address
 *                          (MAP_FIXED_NOREPLACE, the page at a different place in each), then
 *                          this process (the caller) maps it, touches PAGE and injects a memory
 *                          failure there (MADV_HWPOISON). Each process then reports the
 *                          BUS_MCEERR_AO it got before touching anything again (the caller:
 *                          any SIGBUS during madvise, BUS_MCEERR_AR where the failure is
 *                          action required for it, 6.10 on; caught, the handler returns), and
 *                          what its next touch does. The children (all but "late" and "optout"
 *                          with prctl(PR_MCE_KILL_EARLY)):
 *                            early      maps FILE and touched PAGE;
 *                            excluded   maps only the pages before PAGE, touched page 0;
 *                            untouched  maps FILE, touched page 0, never PAGE;
 *                            late       default policy, maps FILE and touched PAGE;
 *                            cow        MAP_PRIVATE, read PAGE then wrote to it (its own copy);
 *                            optout     opted out (PR_MCE_KILL_LATE), maps FILE, touched PAGE;
 *                            offset     maps FILE from page PAGE - 1 (PAGE at its second page,
 *                                       so the vma's page offset is not 0), touched PAGE;
 *                            past       maps FILE from page PAGE + 1 (its vma sorts after
 *                                       PAGE's in the file's i_mmap), touched its first page.
 *                          Prints "madvise ok" then one line per process, "self" first:
 *                          "NAME: early E; then T", E "none" or "SIGBUS CODE at the page, lsb
 *                          N" (CODE BUS_MCEERR_AO, or BUS_MCEERR_AR for the caller; si_addr
 *                          checked against that process's own address of PAGE, else "at
 *                          ADDR, not the page ADDR"), T as for touch (PAGE, or page 0
 *                          for excluded, page PAGE + 1 for past; "its copy" when cow reads
 *                          back its own bytes). PAGE + 1 must be a page of FILE.
 *   poisoncheck earlykill-pmd FILE PAGE  the same with one child, "huge": PR_MCE_KILL_EARLY,
 *                          FILE mapped at a 2 MiB-aligned address (the caller's is not), so
 *                          that PAGE's 2 MiB can be mapped by a PMD (lsb 21 then). The child
 *                          checks it is: after PAGE, it touches four other pages of that 2 MiB
 *                          one by one, and one must take no fault (getrusage's ru_minflt +
 *                          ru_majflt unchanged, as mapcheck touch counts), else setup fails
 *                          with "no PMD".
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
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096L

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static sigjmp_buf jump;
static volatile sig_atomic_t sig_code;
static void *volatile sig_addr;
/*
 * The early signals, recorded without jumping anywhere: every BUS_MCEERR_AO (early kill), and
 * any SIGBUS while in_madvise (the caller's BUS_MCEERR_AR sent during madvise(MADV_HWPOISON),
 * from 6.10: no touch_one() is running to jump back to). How many, the last one.
 */
static volatile sig_atomic_t early_count, in_madvise;
static volatile sig_atomic_t early_code;
static void *volatile early_addr;
static volatile short early_lsb;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code == BUS_MCEERR_AO || in_madvise) {
		early_count++;
		early_code = si->si_code;
		early_addr = si->si_addr;
		early_lsb = si->si_addr_lsb;
		return;
	}
	sig_code = si->si_code;
	sig_addr = si->si_addr;
	siglongjmp(jump, 1);
}

/*
 * madvise(MADV_HWPOISON) of the page at p; prints "madvise ok" or the error. A SIGBUS that
 * arrives meanwhile is an early one (on_sigbus()).
 */
static void hwpoison(volatile char *p)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	int err;

	sigaction(SIGBUS, &sa, NULL);
	in_madvise = 1;
	err = madvise((void *)p, PG, MADV_HWPOISON) ? errno : 0;
	in_madvise = 0;
	if (err)
		printf("madvise: %s\n", strerror(err));
	else
		printf("madvise ok\n");
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
 * What reached this process early: "none", or the (last) early SIGBUS, its si_addr checked
 * against want.
 */
static void early_seen(const void *want, char *out, size_t n)
{
	if (!early_count)
		snprintf(out, n, "none");
	else if (early_addr == want)
		snprintf(out, n, "%sSIGBUS %s at the page, lsb %d",
			 early_count > 1 ? "several, last " : "", code_name(early_code), early_lsb);
	else
		snprintf(out, n, "SIGBUS %s at %p, not the page %p", code_name(early_code),
			 early_addr, want);
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
	char out[128], early[160], other[128] = "no answer";
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
	hwpoison(m + page * PG);
	early_seen((const void *)(m + page * PG), early, sizeof(early));
	touch_one(fd, m + page * PG, page, out, sizeof(out));
	printf("self: early %s; then %s\n", early, out);
	if (write(go[1], "g", 1) != 1)
		die("write", "child");
	if (read(res[0], other, sizeof(other) - 1) <= 0)
		strcpy(other, "no answer");
	waitpid(pid, &status, 0);
	printf("other: %s\n", other);
	return 0;
}

enum ek_role {
	EK_EARLY, EK_EXCLUDED, EK_UNTOUCHED, EK_LATE, EK_COW, EK_OPTOUT, EK_OFFSET, EK_PAST,
	EK_HUGE, EK_N
};
static const char *const ek_names[EK_N] = {
	"early", "excluded", "untouched", "late", "cow", "optout", "offset", "past", "huge"
};

/* The faults this process took so far (what mapcheck touch counts). */
static long faults(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return r.ru_minflt + r.ru_majflt;
}

/*
 * Each process's own address for the file (from byte off): 1 GiB apart, the page placed
 * differently in each; huge: 2 MiB aligned, so that the file's 2 MiB-aligned pages can be
 * mapped by PMDs.
 */
static char *ek_map(int fd, int i, size_t len, off_t off, int prot, int flags, int huge)
{
	char *want = (char *)(0x100000000000UL + ((unsigned long)i << 30) +
			      (huge ? 0 : (i + 1) * 16 * PG));
	char *m = mmap(want, len, prot, flags | MAP_FIXED_NOREPLACE, fd, off);

	if (m == MAP_FAILED || m != want)
		return NULL;
	return m;
}

/* A child of earlykill that cannot set up: say which step failed instead of being ready. */
static void ek_fail(int out, char step)
{
	if (write(out, &step, 1) != 1)
		_exit(1);
	_exit(1);
}

/*
 * A child of earlykill: set up as its role says, say "r"eady on fd out (or the step that
 * failed), wait for the failure, report on out.
 */
static void ek_child(int fd, off_t size, long page, int role, int go, int out)
{
	/* The file's first page mapped, and where PAGE is in the mapping (past: before it). */
	long from = role == EK_OFFSET ? page - 1 : role == EK_PAST ? page + 1 : 0;
	size_t len = role == EK_EXCLUDED ? page * PG : size - from * PG;
	volatile char *m, *p;
	char early[160], then[128], line[320], c, saved = 0, wrote = 0;
	int policy = role == EK_LATE ? -1 : role == EK_OPTOUT ? PR_MCE_KILL_LATE :
		     PR_MCE_KILL_EARLY;

	/* Never left behind holding the caller's output open, whatever happens to the parent. */
	close(STDOUT_FILENO);
	alarm(150);
	if (policy >= 0 && prctl(PR_MCE_KILL, PR_MCE_KILL_SET, policy, 0, 0))
		ek_fail(out, 'p');
	m = ek_map(fd, role + 1, len, from * PG,
		   role == EK_COW ? PROT_READ | PROT_WRITE : PROT_READ,
		   role == EK_COW ? MAP_PRIVATE : MAP_SHARED, role == EK_HUGE);
	if (!m)
		ek_fail(out, 'm');
	p = m + (page - from) * PG;
	if (role == EK_EXCLUDED || role == EK_UNTOUCHED)
		touch_one(fd, m, 0, then, sizeof(then));
	else if (role == EK_PAST)
		touch_one(fd, m, from, then, sizeof(then));
	else
		touch_one(fd, p, page, then, sizeof(then));
	if (strcmp(then, "ok"))
		ek_fail(out, 't');
	if (role == EK_HUGE) {
		/*
		 * Other pages of the same 2 MiB: through a PMD, touching one is no fault; in 4 KiB
		 * PTEs each is a fault of its own (daxfs maps nothing around a fault). A fault
		 * counted meanwhile may be another one (seen once in ~10 runs on 6.1, cause not
		 * known), so it is a PMD when one of four such touches did not fault.
		 */
		volatile char *base = m + (page & ~511L) * PG;
		long k, f0, faulted = 0, d[4];

		if (((page & ~511L) + 512) * PG > size)
			ek_fail(out, 'h');
		for (k = 0; k < 4; k++) {
			f0 = faults();
			(void)base[((page + 64 * (k + 1)) & 511) * PG];
			d[k] = faults() - f0;
			faulted += d[k] != 0;
		}
		if (faulted == 4)
			ek_fail(out, 'h');
		if (faulted)
			fprintf(stderr, "poisoncheck: huge: faults counted touching 4 pages of the PMD: %ld %ld %ld %ld\n",
				d[0], d[1], d[2], d[3]);
	}
	if (role == EK_COW) {
		saved = p[0];
		p[100] = (char)~p[100];	/* copied on write: the process's own page now */
		wrote = p[100];
	}
	if (write(out, "r", 1) != 1)
		_exit(5);
	/* The early signal may interrupt this read (the handler returns): read again. */
	while (read(go, &c, 1) != 1)
		if (errno != EINTR)
			_exit(5);
	early_seen((const void *)p, early, sizeof(early));
	if (role == EK_EXCLUDED)
		touch_one(fd, m, 0, then, sizeof(then));
	else if (role == EK_PAST)
		touch_one(fd, m, from, then, sizeof(then));
	else if (role == EK_COW)
		snprintf(then, sizeof(then), p[0] == saved && p[100] == wrote ? "its copy" :
			 "its copy changed");
	else
		touch_one(fd, p, page, then, sizeof(then));
	snprintf(line, sizeof(line), "%s: early %s; then %s", ek_names[role], early, then);
	if (write(out, line, strlen(line) + 1) < 0)
		_exit(6);
	_exit(0);
}

/* What a child's setup failure byte says. */
static const char *ek_step(char c)
{
	switch (c) {
	case 'p': return "prctl";
	case 'm': return "mmap";
	case 't': return "first touch";
	case 'h': return "no PMD: every other page of the 2 MiB touched faulted";
	default: return "unknown step";
	}
}

static int cmd_earlykill(const char *file, long page, int first, int n)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	int fd = open(file, O_RDONLY), go[2], res[EK_N][2], i, j, r, status;
	char out[128], early[160], line[320];
	pid_t pids[EK_N];
	volatile char *m;
	struct stat st;
	char c;

	if (fd < 0 || fstat(fd, &st))
		die("open", file);
	setvbuf(stdout, NULL, _IOLBF, 0);	/* what was printed survives a SIGALRM */
	if (page < 1 || (page + 2) * PG > st.st_size) {
		fprintf(stderr, "poisoncheck: earlykill: page %ld: want a page after page 0 and before the last\n",
			page);
		return 1;
	}
	sigaction(SIGBUS, &sa, NULL);
	if (pipe(go))
		die("pipe", "");
	/*
	 * One pipe per child: it says "r"eady (or the step that failed) then its line. The
	 * parent keeps only the read ends (and go's write end), so a child that dies reads as
	 * EOF, during setup as later.
	 */
	for (i = 0; i < n; i++) {
		if (pipe(res[i]))
			die("pipe", "");
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork", "");
		if (pids[i] == 0) {
			close(go[1]);
			close(res[i][0]);
			ek_child(fd, st.st_size, page, first + i, go[0], res[i][1]);
		}
		close(res[i][1]);
	}
	close(go[0]);
	alarm(120);
	for (i = 0; i < n; i++) {
		r = read(res[i][0], &c, 1);
		if (r == 1 && c == 'r')
			continue;
		if (r == 1)
			fprintf(stderr, "poisoncheck: earlykill: child %d (%s) failed to set up (%s)\n",
				i, ek_names[first + i], ek_step(c));
		else
			fprintf(stderr, "poisoncheck: earlykill: child %d (%s) died during setup\n",
				i, ek_names[first + i]);
		for (j = 0; j < n; j++)
			kill(pids[j], SIGKILL);
		for (j = 0; j < n; j++)
			waitpid(pids[j], &status, 0);
		return 1;
	}
	m = ek_map(fd, 0, st.st_size, 0, PROT_READ, MAP_SHARED, 0);
	if (!m)
		die("mmap", file);
	touch_one(fd, m + page * PG, page, out, sizeof(out));
	hwpoison(m + page * PG);
	early_seen((const void *)(m + page * PG), early, sizeof(early));
	touch_one(fd, m + page * PG, page, out, sizeof(out));
	printf("self: early %s; then %s\n", early, out);
	for (i = 0; i < n; i++)
		if (write(go[1], "g", 1) != 1)
			die("write", "children");
	for (i = 0; i < n; i++) {
		r = read(res[i][0], line, sizeof(line) - 1);
		waitpid(pids[i], &status, 0);
		if (r <= 0)
			snprintf(line, sizeof(line), "%s: no answer (exit status %d)",
				 ek_names[first + i], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		else
			line[r] = 0;
		printf("%s\n", line);
	}
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
	if (argc == 4 && !strcmp(argv[1], "earlykill"))
		return cmd_earlykill(argv[2], atol(argv[3]), EK_EARLY, EK_HUGE);
	if (argc == 4 && !strcmp(argv[1], "earlykill-pmd"))
		return cmd_earlykill(argv[2], atol(argv[3]), EK_HUGE, 1);
	fprintf(stderr, "usage: poisoncheck read FILE REF OFF | touch FILE PAGE... | hwpoison FILE PAGE | earlykill[-pmd] FILE PAGE\n");
	return 1;
}
