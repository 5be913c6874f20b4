// SPDX-License-Identifier: GPL-2.0-only
/*
 * peekmap FILE: another process's mappings of FILE read through /proc/PID/mem, as gdb and
 * ptrace(PTRACE_PEEKDATA) read them (access_remote_vm). A child maps FILE MAP_SHARED and
 * MAP_PRIVATE and waits; the parent reads both mappings whole, and 100 bytes across a page
 * boundary, through /proc/CHILD/mem and compares them with read() of FILE; a write into the
 * shared mapping through /proc/CHILD/mem must fail and leave FILE unchanged. Exit 0 when all
 * holds, 1 with the first difference otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *path;

__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "peekmap: %s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* len bytes of the child's memory at addr equal want[0..len)? */
static int same(int mem, uint64_t addr, const unsigned char *want, size_t len, const char *what)
{
	unsigned char *got = malloc(len);
	ssize_t n;
	size_t i;

	if (!got)
		return bad("%s: out of memory", what);
	n = pread(mem, got, len, (off_t)addr);
	if (n < 0) {
		bad("%s: read of /proc/PID/mem at %#llx: %s", what, (unsigned long long)addr,
		    strerror(errno));
		free(got);
		return 1;
	}
	if ((size_t)n != len) {
		free(got);
		return bad("%s: %zd of %zu bytes through /proc/PID/mem", what, n, len);
	}
	for (i = 0; i < len && got[i] == want[i]; i++)
		;
	free(got);
	if (i < len)
		return bad("%s: byte %zu differs from the file's (%zu bytes compared)", what, i, len);
	return 0;
}

int main(int argc, char **argv)
{
	int fd, mem, go[2], addrs[2], rc = 0, status, werr;
	unsigned char *file, word[8] = "WRITTEN!";
	uint64_t a[2];
	struct stat st;
	char memname[64];
	size_t n, at;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: peekmap FILE\n");
		return 2;
	}
	path = argv[1];
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || st.st_size < 8192) {
		fprintf(stderr, "peekmap: %s: need a readable file of 8 KiB or more\n", path);
		return 1;
	}
	n = st.st_size;
	file = malloc(n);
	if (!file || pread(fd, file, n, 0) != (ssize_t)n) {
		fprintf(stderr, "peekmap: %s: read: %s\n", path, strerror(errno));
		return 1;
	}
	if (pipe(go) || pipe(addrs))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		void *s = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);
		void *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
		char c;

		if (s == MAP_FAILED || p == MAP_FAILED)
			_exit(3);
		a[0] = (uintptr_t)s;
		a[1] = (uintptr_t)p;
		if (write(addrs[1], a, sizeof(a)) != sizeof(a))
			_exit(4);
		/* Until the parent is done (closes its end). */
		close(go[1]);
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(addrs[1]);
	close(go[0]);
	if (read(addrs[0], a, sizeof(a)) != sizeof(a)) {
		fprintf(stderr, "peekmap: the child could not map %s\n", path);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return 1;
	}
	snprintf(memname, sizeof(memname), "/proc/%d/mem", (int)pid);
	mem = open(memname, O_RDWR);
	if (mem < 0) {
		fprintf(stderr, "peekmap: %s: %s\n", memname, strerror(errno));
		rc = 1;
		goto out;
	}
	at = 4096 - 50;
	rc = same(mem, a[0], file, n, "MAP_SHARED") ||
	     same(mem, a[1], file, n, "MAP_PRIVATE") ||
	     same(mem, a[0] + at, file + at, 100, "MAP_SHARED, across a page boundary");
	if (rc)
		goto out;
	/* Read-only: a write into the shared mapping must not reach the file's memory. */
	at = 4096 + 8;
	if (pwrite(mem, word, sizeof(word), (off_t)(a[0] + at)) >= 0) {
		rc = bad("a write into MAP_SHARED through /proc/PID/mem succeeded");
		goto out;
	}
	werr = errno;
	if (pread(fd, file, n, 0) != (ssize_t)n || !memcmp(file + at, word, sizeof(word))) {
		rc = bad("the file changed");
		goto out;
	}
	printf("peekmap: %s: %zu bytes of a MAP_SHARED and a MAP_PRIVATE mapping read through %s equal the file; a write to MAP_SHARED refused (%s)\n",
	       path, n, memname, strerror(werr));
out:
	close(go[1]);
	waitpid(pid, &status, 0);
	if (!rc && (!WIFEXITED(status) || WEXITSTATUS(status)))
		rc = bad("the mapping child failed (status %#x)", status);
	return rc;
}
