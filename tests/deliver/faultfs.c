/*
 * faultfs.c: an LD_PRELOAD shim that makes one file-system call fail, for
 * the fault tests of sieve-deliver (tests/deliver/faults.sh). The tests
 * build it at run time (cc -shared -fPIC) and choose the fault through the
 * environment:
 *
 *   FAULT_OP     fsync (fsync, fdatasync, syncfs), write (write, writev,
 *                pwrite, pwritev), rename (rename, renameat, renameat2,
 *                link, linkat), mkdir (mkdir, mkdirat), open (open,
 *                open64, openat, openat64, fopen, fopen64: the file
 *                opened)
 *   FAULT_PATH   fnmatch(3) pattern the call's path must match (for fd
 *                calls the path of the descriptor, for rename and link the
 *                destination, for mkdir the new folder, made absolute);
 *                default "*"
 *   FAULT_NTH    the n-th matching call fails (1-based; default 1)
 *   FAULT_COUNT  how many matching calls fail from there (default 1;
 *                0 = all of them)
 *   FAULT_ERRNO  the errno it fails with: EIO, ENOSPC, EDQUOT, EXDEV,
 *                EACCES, EROFS or a number (default EIO)
 *   FAULT_DELAY_MS  sleep this long before each matching call that does
 *                not fail (to widen a race window, or to catch a process
 *                in the middle of writing a file)
 *   FAULT_SHORT  let each matching write that does not fail pass at most
 *                this many bytes, so a message takes many writes
 *   With FAULT_ERRNO=none no call fails: they are only slowed and
 *   shortened.
 *   FAULT_LOG    a file to which one line per injected fault is appended
 *                ("fault fsync /path EIO"), so the test can tell the fault
 *                really happened
 *
 * Calls that do not match are passed through untouched. The shim opens no
 * stdio stream and allocates nothing, so it is safe in any process state.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static unsigned long seen; /* matching calls so far */

static const char *env(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

static int fault_errno(void)
{
	static const struct {
		const char *name;
		int value;
	} names[] = {{"EIO", EIO},     {"ENOSPC", ENOSPC}, {"EDQUOT", EDQUOT},
	             {"EXDEV", EXDEV}, {"EACCES", EACCES}, {"EROFS", EROFS}};
	const char *v = env("FAULT_ERRNO", "EIO");
	if (strcmp(v, "none") == 0)
		return 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(v, names[i].name) == 0)
			return names[i].value;
	int n = atoi(v);
	return n > 0 ? n : EIO;
}

/* The path behind a descriptor, or "" when it cannot be told. */
static void fd_path(int fd, char *out, size_t cap)
{
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, out, cap - 1);
	out[n > 0 ? (size_t)n : 0] = '\0';
}

static void log_fault(const char *op, const char *path, int e)
{
	const char *log = getenv("FAULT_LOG");
	if (!log || !*log)
		return;
	char line[4200];
	int n = snprintf(line, sizeof line, "fault %s %s %s\n", op, path,
	                 e ? strerrorname_np(e) : "delayed");
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	                      0666);
	if (fd < 0)
		return;
	(void)syscall(SYS_write, fd, line, (size_t)n);
	(void)syscall(SYS_close, fd);
}

/* Is this a call the shim is about (OP, and PATH matches)? */
static int matches(const char *op, const char *path)
{
	const char *want = getenv("FAULT_OP");
	if (!want || strcmp(want, op) != 0)
		return 0;
	return fnmatch(env("FAULT_PATH", "*"), path, 0) == 0;
}

/* Does this matching call get the fault? Counts the matching calls. */
static int due(void)
{
	unsigned long nth = strtoul(env("FAULT_NTH", "1"), NULL, 10);
	unsigned long count = strtoul(env("FAULT_COUNT", "1"), NULL, 10);
	unsigned long k = ++seen;
	if (fault_errno() == 0 || k < nth)
		return 0;
	return count == 0 || k < nth + count;
}

/* For path calls: 1 = fail it, 2 = a matching call that passes, 0 = not
   ours. */
static int hit(const char *op, const char *path)
{
	if (!matches(op, path))
		return 0;
	return due() ? 1 : 2;
}

/* The same for descriptor calls; PATH gets the descriptor's path. */
static int hit_fd(const char *op, int fd, char *path, size_t cap)
{
	const char *want = getenv("FAULT_OP");
	if (!want || strcmp(want, op) != 0)
		return 0;
	fd_path(fd, path, cap);
	return hit(op, path);
}

/* A matching call that passes: slowed by FAULT_DELAY_MS. */
static void delay(const char *op, const char *path)
{
	long ms = atol(env("FAULT_DELAY_MS", "0"));
	if (ms <= 0)
		return;
	static int logged;
	if (!logged++)
		log_fault(op, path, 0);
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

#define REAL(name, ret, ...)                                                                      \
	static ret (*real_##name)(__VA_ARGS__);                                                    \
	if (!real_##name)                                                                          \
		real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name);

static int fail(const char *op, const char *path)
{
	int e = fault_errno();
	log_fault(op, path, e);
	errno = e;
	return -1;
}

/* ---- fsync ---- */

int fsync(int fd)
{
	REAL(fsync, int, int)
	char p[4096];
	switch (hit_fd("fsync", fd, p, sizeof p)) {
	case 1: return fail("fsync", p);
	case 2: delay("fsync", p);
	}
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	REAL(fdatasync, int, int)
	char p[4096];
	switch (hit_fd("fsync", fd, p, sizeof p)) {
	case 1: return fail("fsync", p);
	case 2: delay("fsync", p);
	}
	return real_fdatasync(fd);
}

int syncfs(int fd)
{
	REAL(syncfs, int, int)
	char p[4096];
	switch (hit_fd("fsync", fd, p, sizeof p)) {
	case 1: return fail("fsync", p);
	case 2: delay("fsync", p);
	}
	return real_syncfs(fd);
}

/* ---- write ---- */

/* A matching write that passes: slowed, then at most FAULT_SHORT bytes. */
static size_t slow(const char *path, size_t len)
{
	delay("write", path);
	size_t cap = (size_t)atol(env("FAULT_SHORT", "0"));
	return cap && cap < len ? cap : len;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	REAL(write, ssize_t, int, const void *, size_t)
	char p[4096];
	switch (len ? hit_fd("write", fd, p, sizeof p) : 0) {
	case 1: return fail("write", p);
	case 2: return real_write(fd, buf, slow(p, len));
	}
	return real_write(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	REAL(pwrite, ssize_t, int, const void *, size_t, off_t)
	char p[4096];
	switch (len ? hit_fd("write", fd, p, sizeof p) : 0) {
	case 1: return fail("write", p);
	case 2: return real_pwrite(fd, buf, slow(p, len), off);
	}
	return real_pwrite(fd, buf, len, off);
}

/* Vectors: a passing call writes (part of) the first non-empty element. */
static const struct iovec *first(const struct iovec *iov, int cnt)
{
	for (int i = 0; i < cnt; i++)
		if (iov[i].iov_len)
			return &iov[i];
	return NULL;
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	REAL(writev, ssize_t, int, const struct iovec *, int)
	char p[4096];
	const struct iovec *v = first(iov, cnt);
	switch (v ? hit_fd("write", fd, p, sizeof p) : 0) {
	case 1: return fail("write", p);
	case 2: return real_writev(fd, &(struct iovec){v->iov_base, slow(p, v->iov_len)}, 1);
	}
	return real_writev(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	REAL(pwritev, ssize_t, int, const struct iovec *, int, off_t)
	char p[4096];
	const struct iovec *v = first(iov, cnt);
	switch (v ? hit_fd("write", fd, p, sizeof p) : 0) {
	case 1: return fail("write", p);
	case 2:
		return real_pwritev(fd, &(struct iovec){v->iov_base, slow(p, v->iov_len)}, 1, off);
	}
	return real_pwritev(fd, iov, cnt, off);
}

/* ---- rename and link ---- */

/* The absolute form of PATH relative to DIRFD, for matching. */
static void at_path(int dirfd, const char *path, char *out, size_t cap)
{
	if (path[0] == '/' || dirfd == AT_FDCWD) {
		if (path[0] != '/' && getcwd(out, cap)) {
			size_t l = strlen(out);
			snprintf(out + l, cap - l, "/%s", path);
		} else {
			snprintf(out, cap, "%s", path);
		}
		return;
	}
	fd_path(dirfd, out, cap);
	size_t l = strlen(out);
	snprintf(out + l, cap - l, "/%s", path);
}

int rename(const char *from, const char *to)
{
	REAL(rename, int, const char *, const char *)
	char p[4096];
	at_path(AT_FDCWD, to, p, sizeof p);
	switch (hit("rename", p)) {
	case 1: return fail("rename", p);
	case 2: delay("rename", p);
	}
	return real_rename(from, to);
}

int renameat(int fd1, const char *from, int fd2, const char *to)
{
	REAL(renameat, int, int, const char *, int, const char *)
	char p[4096];
	at_path(fd2, to, p, sizeof p);
	switch (hit("rename", p)) {
	case 1: return fail("rename", p);
	case 2: delay("rename", p);
	}
	return real_renameat(fd1, from, fd2, to);
}

int renameat2(int fd1, const char *from, int fd2, const char *to, unsigned flags)
{
	REAL(renameat2, int, int, const char *, int, const char *, unsigned)
	char p[4096];
	at_path(fd2, to, p, sizeof p);
	switch (hit("rename", p)) {
	case 1: return fail("rename", p);
	case 2: delay("rename", p);
	}
	return real_renameat2(fd1, from, fd2, to, flags);
}

int link(const char *from, const char *to)
{
	REAL(link, int, const char *, const char *)
	char p[4096];
	at_path(AT_FDCWD, to, p, sizeof p);
	switch (hit("rename", p)) {
	case 1: return fail("link", p);
	case 2: delay("link", p);
	}
	return real_link(from, to);
}

int linkat(int fd1, const char *from, int fd2, const char *to, int flags)
{
	REAL(linkat, int, int, const char *, int, const char *, int)
	char p[4096];
	at_path(fd2, to, p, sizeof p);
	switch (hit("rename", p)) {
	case 1: return fail("link", p);
	case 2: delay("link", p);
	}
	return real_linkat(fd1, from, fd2, to, flags);
}

/* ---- mkdir ---- */

int mkdir(const char *path, mode_t mode)
{
	REAL(mkdir, int, const char *, mode_t)
	char p[4096];
	at_path(AT_FDCWD, path, p, sizeof p);
	switch (hit("mkdir", p)) {
	case 1: return fail("mkdir", p);
	case 2: delay("mkdir", p);
	}
	return real_mkdir(path, mode);
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
	REAL(mkdirat, int, int, const char *, mode_t)
	char p[4096];
	at_path(dirfd, path, p, sizeof p);
	switch (hit("mkdir", p)) {
	case 1: return fail("mkdir", p);
	case 2: delay("mkdir", p);
	}
	return real_mkdirat(dirfd, path, mode);
}

/* open: a file that cannot be opened now (EIO on a script, say) */
static int open_common(int dirfd, const char *path, int flags, mode_t mode, int at, int big)
{
	REAL(open, int, const char *, int, ...)
	REAL(open64, int, const char *, int, ...)
	REAL(openat, int, int, const char *, int, ...)
	REAL(openat64, int, int, const char *, int, ...)
	char p[4096];
	at_path(at ? dirfd : AT_FDCWD, path, p, sizeof p);
	switch (hit("open", p)) {
	case 1: return fail("open", p);
	case 2: delay("open", p);
	}
	if (at)
		return big ? real_openat64(dirfd, path, flags, mode) : real_openat(dirfd, path, flags, mode);
	return big ? real_open64(path, flags, mode) : real_open(path, flags, mode);
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = open_mode(flags, ap);
	va_end(ap);
	return open_common(AT_FDCWD, path, flags, mode, 0, 0);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = open_mode(flags, ap);
	va_end(ap);
	return open_common(AT_FDCWD, path, flags, mode, 0, 1);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = open_mode(flags, ap);
	va_end(ap);
	return open_common(dirfd, path, flags, mode, 1, 0);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = open_mode(flags, ap);
	va_end(ap);
	return open_common(dirfd, path, flags, mode, 1, 1);
}

static FILE *fopen_common(const char *path, const char *mode, int big)
{
	REAL(fopen, FILE *, const char *, const char *)
	REAL(fopen64, FILE *, const char *, const char *)
	char p[4096];
	at_path(AT_FDCWD, path, p, sizeof p);
	switch (hit("open", p)) {
	case 1: fail("open", p); return NULL;
	case 2: delay("open", p);
	}
	return big ? real_fopen64(path, mode) : real_fopen(path, mode);
}

FILE *fopen(const char *path, const char *mode)
{
	return fopen_common(path, mode, 0);
}

FILE *fopen64(const char *path, const char *mode)
{
	return fopen_common(path, mode, 1);
}
