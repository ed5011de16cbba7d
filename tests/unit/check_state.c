/*
 * check_state.c: the state store (src/delivery/state.c) that vacation
 * (RFC 5230 §4.2, RFC 6131) and duplicate (RFC 7352) keep their marks in.
 * The same table of tests runs on every back-end: mem, SQLite, Redis over
 * TCP and over a unix socket (a redis-server of our own, on a free
 * loopback port, without persistence, stopped at the end). Then what is
 * particular to each: SQLite's file modes, WAL, a damaged file, a locked
 * database, the bounded purge; Redis's key layout and expiry, users and
 * databases kept apart, a server that is down or silent, AUTH.
 *
 * When redis-server is not installed the Redis cases are left out with a
 * SKIP line on stderr. Every test works in its own scratch folder.
 */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "delivery/state.h"

#ifdef HAVE_SQLITE3_H
#include <sqlite3.h>
#endif

/* a fixed "now": the store compares every mark with the caller's clock */
#define T0 ((time_t)1700000000)

static char root[64];
/* the test's user: its process's pid, set by setup so that the
 * processes a test forks share it */
static char user_name[32];

/* ---- the back-ends under test ---- */

enum { B_MEM, B_SQLITE, B_REDIS_TCP, B_REDIS_UNIX, B_N };
static const char *const bname[B_N] = {"mem", "sqlite", "redis-tcp", "redis-unix"};

/* the Redis server of the run (started in the parent, before the tests
 * fork) */
static pid_t redis_pid;
static int redis_port;
static char redis_dir[64];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void setup(void)
{
	snprintf(root, sizeof root, "/tmp/check_state.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(user_name, sizeof user_name, "u%ld", (long)getpid());
}

static void teardown(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *at(const char *rel)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", root, rel);
	return p[k];
}

/* The location of back-end b for this test (each test a process of its
 * own: the pid keeps their keys apart on the shared server). */
static const char *location(int b)
{
	static char loc[256];
	switch (b) {
	case B_MEM: snprintf(loc, sizeof loc, "mem:%s", user_name); break;
	case B_SQLITE: snprintf(loc, sizeof loc, "sqlite:%s/.sift/state.db", root); break;
	case B_REDIS_TCP: snprintf(loc, sizeof loc, "redis:127.0.0.1:%d", redis_port); break;
	default: snprintf(loc, sizeof loc, "redis:unix:%s/redis.sock", redis_dir); break;
	}
	return loc;
}

static const char *test_user(void)
{
	return user_name;
}

static struct sv_state_opts opts(void)
{
	struct sv_state_opts o;
	sv_state_opts_init(&o);
	o.user = test_user();
	o.claim_wait_ms = 0; /* one process plays both deliveries: waiting cannot help */
	o.timeout_ms = 2000;
	o.now = T0;
	return o;
}

static struct sv_state *open_loc(const char *loc, const struct sv_state_opts *o)
{
	struct sv_buf err = SV_BUF_INIT;
	struct sv_state *st = NULL;
	enum sv_status s = sv_dlv_state_open(loc, o, &st, &err);
	ck_assert_msg(s == SV_OK, "open %s: %s", loc, err.p ? err.p : "");
	ck_assert_ptr_nonnull(st);
	sv_buf_free(&err);
	return st;
}

static struct sv_state *open_b(int b)
{
	struct sv_state_opts o = opts();
	return open_loc(location(b), &o);
}

#define K(s) s, sizeof s - 1

static bool seen(struct sv_state *st, const char *ns, const char *key, size_t klen, time_t now)
{
	struct sv_buf err = SV_BUF_INIT;
	bool r = true;
	enum sv_status s = sv_dlv_state_check(st, ns, key, klen, now, &r, &err);
	ck_assert_msg(s == SV_OK, "check: %s", err.p ? err.p : "");
	sv_buf_free(&err);
	return r;
}

static void mark(struct sv_state *st, const char *ns, const char *key, size_t klen, time_t end)
{
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_state_mark(st, ns, key, klen, end, &err), SV_OK);
	sv_buf_free(&err);
}

static void commit(struct sv_state *st)
{
	struct sv_buf err = SV_BUF_INIT;
	enum sv_status s = sv_dlv_state_commit(st, &err);
	ck_assert_msg(s == SV_OK, "commit: %s", err.p ? err.p : "");
	sv_buf_free(&err);
}

/* A claim that must answer: won or not. */
static bool claim(struct sv_state *st, const char *ns, const char *key, size_t klen, time_t now,
                  time_t end)
{
	struct sv_buf err = SV_BUF_INIT;
	bool won = false;
	enum sv_status s = sv_dlv_state_claim(st, ns, key, klen, now, end, &won, &err);
	ck_assert_msg(s == SV_OK, "claim: %s", err.p ? err.p : "");
	sv_buf_free(&err);
	return won;
}

/* A claim that must defer: another delivery holds the key. */
static void claim_busy(struct sv_state *st, const char *ns, const char *key, size_t klen,
                       time_t now)
{
	struct sv_buf err = SV_BUF_INIT;
	bool won = true;
	enum sv_status s = sv_dlv_state_claim(st, ns, key, klen, now, now + 100, &won, &err);
	ck_assert_int_eq(s, SV_TEMPFAIL);
	ck_assert(!won);
	ck_assert_msg(err.p && strstr(err.p, "another delivery holds"), "err: %s",
	              err.p ? err.p : "");
	sv_buf_free(&err);
}

/* ---- the table every back-end passes ---- */

/* A mark is invisible until commit, then visible to every handle. */
START_TEST(test_mark_then_commit)
{
	struct sv_state *a = open_b(_i), *b = open_b(_i);
	ck_assert(!seen(a, "vacation", K("k1"), T0));
	mark(a, "vacation", K("k1"), T0 + 100);
	ck_assert_uint_eq(sv_dlv_state_pending(a), 1);
	ck_assert(!seen(a, "vacation", K("k1"), T0));
	ck_assert(!seen(b, "vacation", K("k1"), T0));
	commit(a);
	ck_assert_uint_eq(sv_dlv_state_pending(a), 0);
	ck_assert(seen(a, "vacation", K("k1"), T0));
	ck_assert(seen(b, "vacation", K("k1"), T0));
	/* another key and another namespace stay unseen */
	ck_assert(!seen(b, "vacation", K("k2"), T0));
	ck_assert(!seen(b, "duplicate", K("k1"), T0));
	sv_dlv_state_close(a);
	sv_dlv_state_close(b);
}
END_TEST

/* Rollback drops what is pending; a later commit writes nothing. */
START_TEST(test_rollback)
{
	struct sv_state *a = open_b(_i);
	mark(a, "vacation", K("k1"), T0 + 100);
	mark(a, "duplicate", K("id"), T0 + 100);
	sv_dlv_state_rollback(a);
	ck_assert_uint_eq(sv_dlv_state_pending(a), 0);
	commit(a);
	ck_assert(!seen(a, "vacation", K("k1"), T0));
	ck_assert(!seen(a, "duplicate", K("id"), T0));
	/* closing without commit drops too */
	mark(a, "vacation", K("k3"), T0 + 100);
	sv_dlv_state_close(a);
	a = open_b(_i);
	ck_assert(!seen(a, "vacation", K("k3"), T0));
	sv_dlv_state_close(a);
}
END_TEST

/* A mark is seen while its end is after now, whatever the real clock. */
START_TEST(test_expiry)
{
	struct sv_state *a = open_b(_i);
	mark(a, "vacation", K("k"), T0 + 100);
	commit(a);
	ck_assert(seen(a, "vacation", K("k"), T0));
	ck_assert(seen(a, "vacation", K("k"), T0 + 99));
	ck_assert(!seen(a, "vacation", K("k"), T0 + 100));
	ck_assert(!seen(a, "vacation", K("k"), T0 + 100000));
	/* a claim after the end takes the key again */
	ck_assert(!claim(a, "vacation", K("k"), T0 + 50, T0 + 500));
	ck_assert(claim(a, "vacation", K("k"), T0 + 100, T0 + 500));
	commit(a);
	ck_assert(seen(a, "vacation", K("k"), T0 + 499));
	ck_assert(!seen(a, "vacation", K("k"), T0 + 500));
	/* a second mark of a key moves its end */
	mark(a, "vacation", K("k"), T0 + 700);
	commit(a);
	ck_assert(seen(a, "vacation", K("k"), T0 + 600));
	sv_dlv_state_close(a);
}
END_TEST

/* Marks survive closing and opening again (a restart of the program). */
START_TEST(test_reopen)
{
	struct sv_state *a = open_b(_i);
	mark(a, "vacation", K("sender@example.org"), T0 + 7 * 86400);
	mark(a, "duplicate", K("<id@example.org>"), T0 + 86400);
	commit(a);
	sv_dlv_state_close(a);
	a = open_b(_i);
	ck_assert(seen(a, "vacation", K("sender@example.org"), T0 + 86400));
	ck_assert(seen(a, "duplicate", K("<id@example.org>"), T0));
	ck_assert(!seen(a, "duplicate", K("<id@example.org>"), T0 + 86400));
	sv_dlv_state_close(a);
}
END_TEST

/* Keys are bytes: NUL, ':', braces and 8-bit bytes included, compared
 * exactly; long keys too. */
START_TEST(test_binary_keys)
{
	struct sv_state *a = open_b(_i);
	static const char k1[] = "a\0b:{c}\xff";
	static const char k2[] = "a\0b:{c}\xfe";
	mark(a, "duplicate", k1, sizeof k1 - 1, T0 + 10);
	char big[4000];
	memset(big, 'x', sizeof big);
	mark(a, "duplicate", big, sizeof big, T0 + 10);
	commit(a);
	ck_assert(seen(a, "duplicate", k1, sizeof k1 - 1, T0));
	ck_assert(!seen(a, "duplicate", k2, sizeof k2 - 1, T0));
	ck_assert(!seen(a, "duplicate", k1, 1, T0)); /* "a" alone */
	ck_assert(seen(a, "duplicate", big, sizeof big, T0));
	ck_assert(!seen(a, "duplicate", big, sizeof big - 1, T0));
	sv_dlv_state_close(a);
}
END_TEST

/* Namespaces and keys out of bounds are refused, nothing recorded. */
START_TEST(test_bad_args)
{
	struct sv_state *a = open_b(_i);
	struct sv_buf err = SV_BUF_INIT;
	bool r;
	static const char *const bad_ns[] = {"",
	                                     "a b",
	                                     "a:b",
	                                     "vacation\n",
	                                     "é",
	                                     "0123456789012345678901234567890123456789012345678"
	                                     "9012345678901234"};
	for (size_t i = 0; i < sizeof bad_ns / sizeof bad_ns[0]; i++) {
		sv_buf_reset(&err);
		ck_assert_int_eq(sv_dlv_state_mark(a, bad_ns[i], K("k"), T0, &err), SV_FAIL);
		ck_assert_msg(strstr(err.p, "invalid state namespace"), "%s", err.p);
		ck_assert_int_eq(sv_dlv_state_check(a, bad_ns[i], K("k"), T0, &r, &err), SV_FAIL);
		ck_assert_int_eq(sv_dlv_state_claim(a, bad_ns[i], K("k"), T0, T0, &r, &err),
		                 SV_FAIL);
	}
	ck_assert_int_eq(sv_dlv_state_mark(a, NULL, K("k"), T0, &err), SV_FAIL);
	sv_buf_reset(&err);
	ck_assert_int_eq(sv_dlv_state_mark(a, "vacation", "k", 0, T0, &err), SV_FAIL);
	ck_assert_msg(strstr(err.p, "invalid state key"), "%s", err.p);
	char *huge = calloc(1, 65537);
	ck_assert_int_eq(sv_dlv_state_check(a, "vacation", huge, 65537, T0, &r, &err), SV_FAIL);
	free(huge);
	ck_assert_uint_eq(sv_dlv_state_pending(a), 0);
	/* the longest valid namespace works */
	mark(a, "a123456789012345678901234567890123456789012345678901234567890123", K("k"), T0 + 1);
	commit(a);
	sv_buf_free(&err);
	sv_dlv_state_close(a);
}
END_TEST

/* Two deliveries claim one key: the first wins, the second defers while
 * the first holds it, and loses once the first has committed. */
START_TEST(test_claim_race)
{
	struct sv_state *a = open_b(_i), *b = open_b(_i);
	ck_assert(claim(a, "vacation", K("s@x"), T0, T0 + 100));
	ck_assert_uint_eq(sv_dlv_state_pending(a), 1);
	/* a reservation is not a mark */
	ck_assert(!seen(b, "vacation", K("s@x"), T0));
	claim_busy(b, "vacation", K("s@x"), T0);
	ck_assert_uint_eq(sv_dlv_state_pending(b), 0);
	commit(a);
	ck_assert(!claim(b, "vacation", K("s@x"), T0 + 1, T0 + 100));
	ck_assert_uint_eq(sv_dlv_state_pending(b), 0);
	ck_assert(seen(b, "vacation", K("s@x"), T0 + 99));
	/* commit gave the mark the end the claim asked for */
	ck_assert(!seen(b, "vacation", K("s@x"), T0 + 100));
	sv_dlv_state_close(a);
	sv_dlv_state_close(b);
}
END_TEST

/* A rolled-back claim frees the key for the next delivery; so does a
 * handle closed without commit. */
START_TEST(test_claim_released)
{
	struct sv_state *a = open_b(_i), *b = open_b(_i);
	ck_assert(claim(a, "vacation", K("s@x"), T0, T0 + 100));
	sv_dlv_state_rollback(a);
	ck_assert(claim(b, "vacation", K("s@x"), T0, T0 + 100));
	claim_busy(a, "vacation", K("s@x"), T0);
	sv_dlv_state_close(b);
	ck_assert(claim(a, "vacation", K("s@x"), T0, T0 + 100));
	commit(a);
	ck_assert(seen(a, "vacation", K("s@x"), T0));
	sv_dlv_state_close(a);
}
END_TEST

/* Claiming a key this handle holds wins again, once in the transaction;
 * a mark and a claim of one key are one entry. */
START_TEST(test_claim_own)
{
	struct sv_state *a = open_b(_i);
	ck_assert(claim(a, "duplicate", K("id"), T0, T0 + 10));
	ck_assert(claim(a, "duplicate", K("id"), T0, T0 + 20));
	ck_assert_uint_eq(sv_dlv_state_pending(a), 1);
	mark(a, "duplicate", K("other"), T0 + 10);
	ck_assert(claim(a, "duplicate", K("other"), T0, T0 + 30));
	ck_assert_uint_eq(sv_dlv_state_pending(a), 2);
	commit(a);
	ck_assert(seen(a, "duplicate", K("id"), T0 + 19)); /* the later end */
	ck_assert(!seen(a, "duplicate", K("id"), T0 + 20));
	ck_assert(seen(a, "duplicate", K("other"), T0 + 29));
	sv_dlv_state_close(a);
}
END_TEST

/* A reservation whose delivery never came back is taken over after the
 * lease; the first handle's late rollback then leaves the new one be. */
START_TEST(test_claim_abandoned)
{
	struct sv_state_opts o = opts();
	o.claim_lease = 60;
	struct sv_state *a = open_loc(location(_i), &o), *b = open_loc(location(_i), &o);
	struct sv_state *c = open_loc(location(_i), &o);
	ck_assert(claim(a, "vacation", K("s@x"), T0, T0 + 1000));
	claim_busy(b, "vacation", K("s@x"), T0 + 59);
	ck_assert(claim(b, "vacation", K("s@x"), T0 + 60, T0 + 1000));
	sv_dlv_state_rollback(a);
	claim_busy(c, "vacation", K("s@x"), T0 + 61);
	commit(b);
	ck_assert(!claim(c, "vacation", K("s@x"), T0 + 62, T0 + 1000));
	sv_dlv_state_close(a);
	sv_dlv_state_close(b);
	sv_dlv_state_close(c);
}
END_TEST

/* Several marks and claims commit together. */
START_TEST(test_commit_many)
{
	struct sv_state *a = open_b(_i), *b = open_b(_i);
	char key[16];
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof key, "k%d", i);
		if (i % 2)
			mark(a, "duplicate", key, strlen(key), T0 + 100);
		else
			ck_assert(claim(a, "duplicate", key, strlen(key), T0, T0 + 100));
	}
	ck_assert(!seen(b, "duplicate", K("k1"), T0));
	commit(a);
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof key, "k%d", i);
		ck_assert_msg(seen(b, "duplicate", key, strlen(key), T0), "%s", key);
	}
	sv_dlv_state_close(a);
	sv_dlv_state_close(b);
}
END_TEST

/* A claim waits for another process's reservation: a commit makes it
 * lose, a rollback lets it win. (Not mem: one process only.) */
START_TEST(test_claim_waits)
{
	for (int rollback = 0; rollback < 2; rollback++) {
		char key[16];
		snprintf(key, sizeof key, "w%d", rollback);
		int ready[2];
		ck_assert_int_eq(pipe(ready), 0);
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			struct sv_state_opts o = opts();
			struct sv_state *a = NULL;
			struct sv_buf err = SV_BUF_INIT;
			bool won = false;
			if (sv_dlv_state_open(location(_i), &o, &a, &err) != SV_OK ||
			    sv_dlv_state_claim(a, "vacation", key, strlen(key), T0, T0 + 100, &won,
			                       &err) != SV_OK ||
			    !won)
				_exit(2);
			if (write(ready[1], "c", 1) != 1)
				_exit(2);
			/* the rest of a delivery: its sends */
			struct timespec ts = {0, 100 * 1000000};
			nanosleep(&ts, NULL);
			if (rollback)
				sv_dlv_state_rollback(a);
			else if (sv_dlv_state_commit(a, &err) != SV_OK)
				_exit(2);
			sv_dlv_state_close(a);
			_exit(0);
		}
		close(ready[1]);
		char c;
		ck_assert_int_eq(read(ready[0], &c, 1), 1);
		close(ready[0]);
		struct sv_state_opts o = opts();
		o.claim_wait_ms = 20000;
		struct sv_state *b = open_loc(location(_i), &o);
		ck_assert_int_eq(claim(b, "vacation", key, strlen(key), T0 + 1, T0 + 100),
		                 rollback);
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		sv_dlv_state_close(b);
	}
}
END_TEST

/* ---- opening ---- */

static const char *const bad_locations[] = {
    "",
    "nosuch:x",
    "sqlite",
    "sqlite:",
    "sqlite:relative/state.db",
    "sqlite:/tmp/folder/",
    "redis:",
    "redis::6379",
    "redis:host:",
    "redis:host:0",
    "redis:host:65536",
    "redis:host:port",
    "redis:host:6379/",
    "redis:host:6379/x",
    "redis:host:6379/1/2",
    "redis:host name:6379",
    "redis:[::1",
    "redis:[]:6379",
    "redis:host:6379?",
    "redis:host:6379?bogus=1",
    "redis:host:6379?prefix=",
    "redis:host:6379?prefix",
    "redis:host:6379?db=x",
    "redis:host:6379?prefix=a b",
    "redis:unix:",
    "redis:unix:relative.sock",
    "redis:unix:/tmp/x.sock?db=3x",
    "redis:unix:/tmp/x.sock?password",
};

START_TEST(test_bad_location)
{
	struct sv_state_opts o = opts();
	struct sv_buf err = SV_BUF_INIT;
	struct sv_state *st = (struct sv_state *)&o; /* must become NULL */
	const char *loc = bad_locations[_i];
	enum sv_status s = sv_dlv_state_open(loc, &o, &st, &err);
	ck_assert_msg(s == SV_FAIL, "%s: %s", loc, sv_status_name(s));
	ck_assert_ptr_null(st);
	ck_assert_msg(err.len > 0, "%s: no reason", loc);
	sv_buf_free(&err);
}
END_TEST

/* A Redis location without a user could mix users' keys; a password in a
 * location is never repeated in a message. */
START_TEST(test_redis_needs_user)
{
	struct sv_state_opts o;
	sv_state_opts_init(&o);
	struct sv_buf err = SV_BUF_INIT;
	struct sv_state *st = NULL;
	ck_assert_int_eq(sv_dlv_state_open("redis:127.0.0.1:6379", &o, &st, &err), SV_FAIL);
	ck_assert(strstr(err.p, "user"));
	o.user = "";
	ck_assert_int_eq(sv_dlv_state_open("redis:127.0.0.1:6379", &o, &st, &err), SV_FAIL);
	ck_assert_int_eq(sv_dlv_state_open("redis:127.0.0.1:6379", NULL, &st, &err), SV_FAIL);
	o.user = "u";
	sv_buf_reset(&err);
	ck_assert_int_eq(sv_dlv_state_open("redis:h:1?password=hunter2&bogus=1", &o, &st, &err),
	                 SV_FAIL);
	ck_assert_msg(!strstr(err.p, "hunter2"), "%s", err.p);
	sv_buf_reset(&err);
	ck_assert_int_eq(sv_dlv_state_open("nosuch:h?password=hunter2", &o, &st, &err), SV_FAIL);
	ck_assert_msg(!strstr(err.p, "hunter2"), "%s", err.p);
	sv_buf_free(&err);
}
END_TEST

/* Neither library is loaded before a location needs it (every delivery's
 * start-up pays for what it loads). The test process never loaded them:
 * Check runs each test in a fork of a parent that does not. */
START_TEST(test_lazy_load)
{
	const char *fork_mode = getenv("CK_FORK");
	if (fork_mode && strcmp(fork_mode, "no") == 0) /* not a fresh process */
		return;
	ck_assert_ptr_null(dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_NOLOAD));
	struct sv_state *st = open_b(B_MEM);
	mark(st, "vacation", K("k"), T0 + 1);
	commit(st);
	sv_dlv_state_close(st);
	ck_assert_ptr_null(dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_NOLOAD));
#ifdef HAVE_SQLITE3_H
	st = open_b(B_SQLITE);
	void *h = dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_NOLOAD);
	ck_assert_ptr_nonnull(h);
	dlclose(h);
	sv_dlv_state_close(st);
#endif
}
END_TEST

/* ---- SQLite ---- */

#ifdef HAVE_SQLITE3_H

/* The test's own connection to a database, to look at it and to hold it
 * (loaded like the store loads it: libsift does not link SQLite). */
static struct {
	__typeof__(&sqlite3_open) open;
	__typeof__(&sqlite3_exec) exec;
	__typeof__(&sqlite3_close) close;
} tsq;

static sqlite3 *sql_open(const char *path)
{
	void *lib = dlopen("libsqlite3.so.0", RTLD_NOW);
	ck_assert_ptr_nonnull(lib);
	*(void **)&tsq.open = dlsym(lib, "sqlite3_open");
	*(void **)&tsq.exec = dlsym(lib, "sqlite3_exec");
	*(void **)&tsq.close = dlsym(lib, "sqlite3_close");
	ck_assert(tsq.open && tsq.exec && tsq.close);
	sqlite3 *db = NULL;
	ck_assert_int_eq(tsq.open(path, &db), SQLITE_OK);
	return db;
}

static int first_column(void *ctx, int n, char **v, char **names)
{
	(void)names;
	snprintf(ctx, 64, "%s", n > 0 && v[0] ? v[0] : "NULL");
	return 0;
}

/* The first column of the first row sql returns, as text. */
static const char *sql_value(sqlite3 *db, const char *sql)
{
	static char v[64];
	v[0] = '\0';
	ck_assert_int_eq(tsq.exec(db, sql, first_column, v, NULL), SQLITE_OK);
	return v;
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* The folder is made 0700, the database and its log 0600, in WAL mode
 * with a schema version. */
START_TEST(test_sqlite_files)
{
	umask(022);
	struct sv_state *a = open_b(B_SQLITE);
	mark(a, "vacation", K("k"), T0 + 10);
	commit(a);
	ck_assert_uint_eq(mode_of(at(".sift")), 0700);
	ck_assert_uint_eq(mode_of(at(".sift/state.db")), 0600);
	ck_assert_uint_eq(mode_of(at(".sift/state.db-wal")), 0600);
	sqlite3 *db = sql_open(at(".sift/state.db"));
	ck_assert_str_eq(sql_value(db, "PRAGMA journal_mode"), "wal");
	ck_assert_str_eq(sql_value(db, "SELECT version FROM sift_schema"), "1");
	ck_assert_str_eq(sql_value(db, "SELECT count(*) FROM marks WHERE owner IS NULL"), "1");
	tsq.close(db);
	sv_dlv_state_close(a);
}
END_TEST

/* A missing home (two levels up) is a temporary failure, not a crash. */
START_TEST(test_sqlite_no_folder)
{
	struct sv_state_opts o = opts();
	struct sv_buf err = SV_BUF_INIT;
	struct sv_state *st = NULL;
	char loc[256];
	snprintf(loc, sizeof loc, "sqlite:%s/nohome/.sift/state.db", root);
	ck_assert_int_eq(sv_dlv_state_open(loc, &o, &st, &err), SV_TEMPFAIL);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err.p, "cannot make the state folder"), "%s", err.p);
	sv_buf_free(&err);
}
END_TEST

static char warned[1024];
static int nwarned;
static void on_warn(void *ctx, const char *text)
{
	(void)ctx;
	snprintf(warned, sizeof warned, "%s", text);
	nwarned++;
}

/* The one file in the store's folder whose name starts with prefix. */
static bool aside_file(const char *prefix, char *name, size_t cap)
{
	DIR *d = opendir(at(".sift"));
	ck_assert_ptr_nonnull(d);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && !strstr(e->d_name, "-wal")) {
			snprintf(name, cap, "%s", e->d_name);
			n++;
		}
	closedir(d);
	return n == 1;
}

/* A file that is not a database is moved aside at open; the store starts
 * anew and says so. */
START_TEST(test_sqlite_not_a_database)
{
	ck_assert_int_eq(mkdir(at(".sift"), 0700), 0);
	FILE *f = fopen(at(".sift/state.db"), "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 400; i++)
		fputs("this is not an SQLite database, just text.\n", f);
	fclose(f);
	struct sv_state_opts o = opts();
	o.warn = on_warn;
	struct sv_state *a = open_loc(location(B_SQLITE), &o);
	ck_assert_int_eq(nwarned, 1);
	ck_assert_msg(strstr(warned, "was damaged") && strstr(warned, "moved aside"), "%s", warned);
	char name[256];
	ck_assert(aside_file("state.db.corrupt-", name, sizeof name));
	ck_assert_msg(strstr(warned, name), "%s / %s", warned, name);
	mark(a, "vacation", K("k"), T0 + 10);
	commit(a);
	ck_assert(seen(a, "vacation", K("k"), T0));
	sv_dlv_state_close(a);
	/* the text is kept aside as it was */
	char path[300];
	snprintf(path, sizeof path, ".sift/%s", name);
	f = fopen(at(path), "r");
	ck_assert_ptr_nonnull(f);
	char line[64];
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	ck_assert_str_eq(line, "this is not an SQLite database, just text.\n");
	fclose(f);
}
END_TEST

/* A database whose pages are damaged: whichever call meets the damage
 * (open or a later one) moves the file aside and defers; the next
 * delivery works on a new database. */
START_TEST(test_sqlite_damaged_pages)
{
	struct sv_state *a = open_b(B_SQLITE);
	char key[32];
	for (int i = 0; i < 300; i++) {
		snprintf(key, sizeof key, "<message-%d@example.org>", i);
		mark(a, "duplicate", key, strlen(key), T0 + 100);
	}
	commit(a);
	sv_dlv_state_close(a);
	/* fold the log into the file, then overwrite every page but the
	 * first (the header and the table list) */
	sqlite3 *db = sql_open(at(".sift/state.db"));
	tsq.exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	tsq.close(db);
	int fd = open(at(".sift/state.db"), O_RDWR);
	ck_assert_int_ge(fd, 0);
	struct stat sb;
	ck_assert_int_eq(fstat(fd, &sb), 0);
	ck_assert_int_gt(sb.st_size, 3 * 4096);
	char junk[4096];
	memset(junk, 0xa5, sizeof junk);
	for (off_t off = 4096; off < sb.st_size; off += sizeof junk)
		ck_assert_int_eq(pwrite(fd, junk, sizeof junk, off), (ssize_t)sizeof junk);
	close(fd);

	struct sv_state_opts o = opts();
	o.warn = on_warn;
	struct sv_buf err = SV_BUF_INIT;
	struct sv_state *b = NULL;
	enum sv_status s = sv_dlv_state_open(location(B_SQLITE), &o, &b, &err);
	ck_assert_int_eq(s, SV_OK); /* open recovers what it finds */
	bool r = false;
	if (nwarned == 0) { /* the damage is met later */
		s = sv_dlv_state_check(b, "duplicate", K("<message-7@example.org>"), T0, &r, &err);
		if (s == SV_OK) {
			mark(b, "duplicate", K("new"), T0 + 100);
			s = sv_dlv_state_commit(b, &err);
		}
		ck_assert_int_eq(s, SV_TEMPFAIL);
		ck_assert_msg(strstr(err.p, "moved aside") && strstr(err.p, "try again"), "%s",
		              err.p);
	}
	ck_assert_int_eq(nwarned, 1);
	char name[256];
	ck_assert(aside_file("state.db.corrupt-", name, sizeof name));
	sv_dlv_state_close(b);
	b = open_b(B_SQLITE);
	ck_assert(!seen(b, "duplicate", K("<message-7@example.org>"), T0));
	mark(b, "duplicate", K("new"), T0 + 100);
	commit(b);
	ck_assert(seen(b, "duplicate", K("new"), T0));
	sv_dlv_state_close(b);
	sv_buf_free(&err);
}
END_TEST

/* A database another delivery keeps locked longer than the busy timeout:
 * claims and commits defer, and work once it is free. */
START_TEST(test_sqlite_locked)
{
	struct sv_state_opts o = opts();
	o.busy_timeout_ms = 50;
	struct sv_state *a = open_loc(location(B_SQLITE), &o);
	sqlite3 *db = sql_open(at(".sift/state.db"));
	ck_assert_int_eq(tsq.exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	struct sv_buf err = SV_BUF_INIT;
	bool won = true;
	ck_assert_int_eq(sv_dlv_state_claim(a, "vacation", K("k"), T0, T0 + 10, &won, &err),
	                 SV_TEMPFAIL);
	ck_assert(!won);
	ck_assert_msg(strstr(err.p, "locked") || strstr(err.p, "another delivery"), "%s", err.p);
	mark(a, "vacation", K("k"), T0 + 10);
	sv_buf_reset(&err);
	ck_assert_int_eq(sv_dlv_state_commit(a, &err), SV_TEMPFAIL);
	ck_assert_uint_eq(sv_dlv_state_pending(a), 1); /* kept for the caller's rollback */
	/* reads go on beside a writer (WAL) */
	ck_assert(!seen(a, "vacation", K("k"), T0));
	tsq.exec(db, "COMMIT", NULL, NULL, NULL);
	tsq.close(db);
	commit(a);
	ck_assert(seen(a, "vacation", K("k"), T0));
	sv_dlv_state_close(a);
	sv_buf_free(&err);
}
END_TEST

/* Ended marks go a bounded batch per write. */
START_TEST(test_sqlite_purge)
{
	struct sv_state_opts o = opts();
	o.purge_batch = 3;
	struct sv_state *a = open_loc(location(B_SQLITE), &o);
	char key[16];
	for (int i = 0; i < 8; i++) {
		snprintf(key, sizeof key, "old%d", i);
		mark(a, "duplicate", key, strlen(key), T0 + 10);
	}
	commit(a);
	sqlite3 *db = sql_open(at(".sift/state.db"));
	ck_assert_str_eq(sql_value(db, "SELECT count(*) FROM marks"), "8");
	ck_assert(!seen(a, "duplicate", K("x"), T0 + 5)); /* now: nothing has ended */
	mark(a, "duplicate", K("new1"), T0 + 100);
	commit(a);
	ck_assert_str_eq(sql_value(db, "SELECT count(*) FROM marks"), "9");
	ck_assert(!seen(a, "duplicate", K("x"), T0 + 20)); /* now: the old ones have */
	mark(a, "duplicate", K("new2"), T0 + 100);
	commit(a);
	ck_assert_str_eq(sql_value(db, "SELECT count(*) FROM marks"), "7");
	ck_assert(claim(a, "duplicate", K("new3"), T0 + 20, T0 + 100)); /* a claim purges too */
	ck_assert_str_eq(sql_value(db, "SELECT count(*) FROM marks"), "5");
	ck_assert_str_eq(
	    sql_value(db, "SELECT count(*) FROM marks WHERE CAST(key AS TEXT) LIKE 'new%'"), "3");
	tsq.close(db);
	sv_dlv_state_close(a);
}
END_TEST

/* A database from a newer sift is left alone, and deferred on. */
START_TEST(test_sqlite_newer_schema)
{
	struct sv_state *a = open_b(B_SQLITE);
	sv_dlv_state_close(a);
	sqlite3 *db = sql_open(at(".sift/state.db"));
	ck_assert_int_eq(tsq.exec(db, "UPDATE sift_schema SET version = 2", NULL, NULL, NULL),
	                 SQLITE_OK);
	tsq.close(db);
	struct sv_state_opts o = opts();
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_state_open(location(B_SQLITE), &o, &a, &err), SV_TEMPFAIL);
	ck_assert_msg(strstr(err.p, "schema version 2"), "%s", err.p);
	char name[256];
	ck_assert(!aside_file("state.db.corrupt-", name, sizeof name));
	sv_buf_free(&err);
}
END_TEST

#endif /* HAVE_SQLITE3_H */

/* ---- Redis ---- */

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return ntohs(a.sin_port);
}

static int connect_port(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* One command to the test server, in RESP, and the first line of its
 * reply (a bulk string: its content). */
static const char *redis_raw(int argc, const char *const *argv)
{
	static char reply[512];
	int fd = connect_port(redis_port);
	ck_assert_int_ge(fd, 0);
	char req[1024];
	int n = snprintf(req, sizeof req, "*%d\r\n", argc);
	for (int i = 0; i < argc; i++)
		n += snprintf(req + n, sizeof req - (size_t)n, "$%zu\r\n%s\r\n", strlen(argv[i]),
		              argv[i]);
	ck_assert_int_eq(write(fd, req, (size_t)n), n);
	size_t got = 0;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ck_assert_int_eq(poll(&p, 1, 5000), 1);
		ssize_t r = read(fd, reply + got, sizeof reply - 1 - got);
		ck_assert_int_gt(r, 0);
		got += (size_t)r;
		reply[got] = '\0';
		char *eol = strstr(reply, "\r\n");
		if (!eol)
			continue;
		if (reply[0] != '$' || strcmp(reply, "$-1\r\n") == 0) {
			*eol = '\0';
			break;
		}
		char *eol2 = strstr(eol + 2, "\r\n");
		if (eol2) {
			*eol2 = '\0';
			memmove(reply, eol + 2, strlen(eol + 2) + 1);
			break;
		}
	}
	close(fd);
	return reply;
}

#define RAW(...)                                                                                   \
	redis_raw(sizeof(const char *[]){__VA_ARGS__} / sizeof(const char *),                      \
	          (const char *const[]){__VA_ARGS__})

/* Keys are PREFIX:{USER}:NS:KEY with the end in the value and an expiry
 * from the caller's now; a reservation lives for the lease. */
START_TEST(test_redis_keys)
{
	struct sv_state_opts o = opts();
	o.claim_lease = 600;
	struct sv_state *a = open_loc(location(B_REDIS_TCP), &o);
	char key[128];
	snprintf(key, sizeof key, "sift:{%s}:vacation:s@x", test_user());
	ck_assert(claim(a, "vacation", K("s@x"), T0, T0 + 100));
	const char *v = RAW("GET", key);
	ck_assert_msg(strncmp(v, "p:", 2) == 0, "%s", v);
	long pttl = atol(RAW("PTTL", key) + 1);
	ck_assert_msg(pttl > 590000 && pttl <= 600001, "%ld", pttl);
	commit(a);
	ck_assert_str_eq(RAW("GET", key), "m:1700000100");
	pttl = atol(RAW("PTTL", key) + 1);
	ck_assert_msg(pttl > 90000 && pttl <= 100000, "%ld", pttl);
	/* a mark that has ended by the caller's clock is gone at once */
	mark(a, "vacation", K("gone"), T0 - 5);
	commit(a);
	snprintf(key, sizeof key, "sift:{%s}:vacation:gone", test_user());
	struct timespec ts = {0, 5 * 1000000};
	nanosleep(&ts, NULL);
	ck_assert_str_eq(RAW("EXISTS", key), ":0");
	sv_dlv_state_close(a);
}
END_TEST

/* What sift did not write under its keys: a string it cannot read is
 * taken over by a claim; another type makes the call defer, and the
 * handle goes on working for its next call. */
START_TEST(test_redis_foreign_values)
{
	struct sv_state *a = open_b(B_REDIS_TCP);
	char key[128];
	snprintf(key, sizeof key, "sift:{%s}:vacation:str", test_user());
	ck_assert_str_eq(RAW("SET", key, "hello"), "+OK");
	ck_assert(!seen(a, "vacation", K("str"), T0));
	ck_assert(claim(a, "vacation", K("str"), T0, T0 + 10));
	snprintf(key, sizeof key, "sift:{%s}:vacation:hash", test_user());
	ck_assert_str_eq(RAW("HSET", key, "f", "v"), ":1");
	struct sv_buf err = SV_BUF_INIT;
	bool won = true;
	ck_assert_int_eq(sv_dlv_state_claim(a, "vacation", K("hash"), T0, T0 + 10, &won, &err),
	                 SV_TEMPFAIL);
	ck_assert_msg(strstr(err.p, "WRONGTYPE"), "%s", err.p);
	/* a WATCH left behind would make the commit's EXEC fail now */
	ck_assert_str_eq(RAW("HSET", key, "f", "w"), ":0");
	ck_assert(claim(a, "vacation", K("next"), T0, T0 + 10));
	commit(a);
	ck_assert(seen(a, "vacation", K("str"), T0));
	ck_assert(seen(a, "vacation", K("next"), T0));
	sv_dlv_state_close(a);
	sv_buf_free(&err);
}
END_TEST

/* Users, prefixes and databases on one server never see each other's
 * marks; user names that look like key syntax stay apart. */
START_TEST(test_redis_apart)
{
	static const char *const users[] = {"alice", "alice}:x", "alice:vacation",
	                                    "ALICE", "al ice",   "al%20ice"};
	enum { NU = sizeof users / sizeof users[0] };
	char loc[256];
	struct sv_state *st[NU];
	for (int i = 0; i < NU; i++) {
		struct sv_state_opts o = opts();
		o.user = users[i];
		o.prefix = "t-apart";
		st[i] = open_loc(location(B_REDIS_TCP), &o);
		char key[8];
		snprintf(key, sizeof key, "k%d", i);
		mark(st[i], "vacation", key, strlen(key), T0 + 100);
		mark(st[i], "vacation", K("x:vacation:k"), T0 + 100);
		commit(st[i]);
	}
	for (int i = 0; i < NU; i++)
		for (int j = 0; j < NU; j++) {
			char key[8];
			snprintf(key, sizeof key, "k%d", j);
			ck_assert_msg(seen(st[i], "vacation", key, strlen(key), T0) == (i == j),
			              "%s sees %s", users[i], key);
		}
	for (int i = 0; i < NU; i++)
		sv_dlv_state_close(st[i]);
	/* another prefix, from the location */
	struct sv_state_opts o = opts();
	o.user = "alice";
	o.prefix = "t-apart";
	snprintf(loc, sizeof loc, "redis:127.0.0.1:%d?prefix=t-other", redis_port);
	struct sv_state *p = open_loc(loc, &o);
	ck_assert(!seen(p, "vacation", K("k0"), T0));
	sv_dlv_state_close(p);
	/* databases: /3 and ?db=3 are one, 0 another */
	snprintf(loc, sizeof loc, "redis:127.0.0.1:%d/3", redis_port);
	struct sv_state *d3 = open_loc(loc, &o);
	mark(d3, "duplicate", K("id"), T0 + 100);
	commit(d3);
	sv_dlv_state_close(d3);
	snprintf(loc, sizeof loc, "redis:localhost:%d?db=3&prefix=t-apart", redis_port);
	d3 = open_loc(loc, &o);
	ck_assert(seen(d3, "duplicate", K("id"), T0));
	sv_dlv_state_close(d3);
	snprintf(loc, sizeof loc, "redis:127.0.0.1:%d/0", redis_port);
	struct sv_state *d0 = open_loc(loc, &o);
	ck_assert(!seen(d0, "duplicate", K("id"), T0));
	sv_dlv_state_close(d0);
}
END_TEST

/* A server that is down: open defers with the reason. */
START_TEST(test_redis_down)
{
	int port = free_port();
	ck_assert_int_gt(port, 0);
	char loc[64];
	snprintf(loc, sizeof loc, "redis:127.0.0.1:%d", port);
	struct sv_state_opts o = opts();
	struct sv_buf err = SV_BUF_INIT;
	struct sv_state *st = NULL;
	ck_assert_int_eq(sv_dlv_state_open(loc, &o, &st, &err), SV_TEMPFAIL);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err.p, "cannot connect to redis at 127.0.0.1:"), "%s", err.p);
	sv_buf_reset(&err);
	ck_assert_int_eq(sv_dlv_state_open("redis:unix:/nonexistent/redis.sock", &o, &st, &err),
	                 SV_TEMPFAIL);
	ck_assert_msg(strstr(err.p, "cannot connect"), "%s", err.p);
	sv_buf_free(&err);
}
END_TEST

/* A server that accepts and never answers: each call defers after the
 * timeout, and the handle stays failed. */
START_TEST(test_redis_silent)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	char loc[64];
	snprintf(loc, sizeof loc, "redis:127.0.0.1:%d", ntohs(a.sin_port));
	struct sv_state_opts o = opts();
	o.timeout_ms = 100;
	struct sv_state *st = open_loc(loc, &o);
	struct sv_buf err = SV_BUF_INIT;
	bool r;
	ck_assert_int_eq(sv_dlv_state_check(st, "vacation", K("k"), T0, &r, &err), SV_TEMPFAIL);
	ck_assert_msg(strstr(err.p, "no answer within 100 ms"), "%s", err.p);
	sv_buf_reset(&err);
	ck_assert_int_eq(sv_dlv_state_claim(st, "vacation", K("k"), T0, T0 + 1, &r, &err),
	                 SV_TEMPFAIL);
	ck_assert_msg(strstr(err.p, "failed earlier"), "%s", err.p);
	mark(st, "vacation", K("k"), T0 + 1);
	sv_buf_reset(&err);
	ck_assert_int_eq(sv_dlv_state_commit(st, &err), SV_TEMPFAIL);
	sv_dlv_state_close(st);
	close(fd);
	sv_buf_free(&err);
}
END_TEST

/* AUTH from the location; a wrong or missing password defers. (Last of
 * the Redis tests: it sets a password on the shared server and takes it
 * away again.) */
START_TEST(test_redis_auth)
{
	char loc[128];
	struct sv_state_opts o = opts();
	struct sv_buf err = SV_BUF_INIT;
	struct sv_state *st = NULL;
	snprintf(loc, sizeof loc, "redis:127.0.0.1:%d?password=pw-xyzzy", redis_port);
	ck_assert_int_eq(sv_dlv_state_open(loc, &o, &st, &err), SV_TEMPFAIL);
	ck_assert_msg(strstr(err.p, "AUTH"), "%s", err.p);
	ck_assert_msg(!strstr(err.p, "xyzzy"), "%s", err.p);
	ck_assert_str_eq(RAW("CONFIG", "SET", "requirepass", "s3cret"), "+OK");
	st = open_loc(location(B_REDIS_TCP), &o); /* connecting needs no password */
	bool r;
	sv_buf_reset(&err);
	ck_assert_int_eq(sv_dlv_state_check(st, "vacation", K("k"), T0, &r, &err), SV_TEMPFAIL);
	ck_assert_msg(strstr(err.p, "NOAUTH"), "%s", err.p);
	sv_dlv_state_close(st);
	snprintf(loc, sizeof loc, "redis:127.0.0.1:%d?password=s3cret", redis_port);
	st = open_loc(loc, &o);
	mark(st, "vacation", K("k"), T0 + 10);
	commit(st);
	ck_assert(seen(st, "vacation", K("k"), T0));
	sv_dlv_state_close(st);
	/* the password goes again, in one connection */
	int fd = connect_port(redis_port);
	static const char req[] =
	    "*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n"
	    "*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$11\r\nrequirepass\r\n$0\r\n\r\n";
	ck_assert_int_eq(write(fd, req, sizeof req - 1), (ssize_t)sizeof req - 1);
	char buf[64];
	size_t got = 0;
	while (got < 10) {
		ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	buf[got] = '\0';
	ck_assert_str_eq(buf, "+OK\r\n+OK\r\n");
	close(fd);
	sv_buf_free(&err);
}
END_TEST

/* The redis-server binary, or NULL. */
static const char *find_redis(void)
{
	static char path[512];
	const char *env = getenv("PATH");
	char dirs[1024];
	snprintf(dirs, sizeof dirs, "%s:/usr/sbin:/usr/bin", env ? env : "");
	for (char *save, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof path, "%s/redis-server", d);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

static void redis_start(void)
{
	const char *bin = find_redis();
	snprintf(redis_dir, sizeof redis_dir, "/tmp/check_state_redis.XXXXXX");
	if (!bin || !mkdtemp(redis_dir) || (redis_port = free_port()) <= 0) {
		fprintf(stderr, "check_state: cannot start redis-server\n");
		exit(99);
	}
	char port[16], sock[128];
	snprintf(port, sizeof port, "%d", redis_port);
	snprintf(sock, sizeof sock, "%s/redis.sock", redis_dir);
	redis_pid = fork();
	if (redis_pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execl(bin, bin, "--save", "", "--appendonly", "no", "--port", port, "--bind",
		      "127.0.0.1", "--dir", redis_dir, "--unixsocket", sock, "--unixsocketperm",
		      "700", "--daemonize", "no", (char *)NULL);
		_exit(127);
	}
	/* ready when both its doors open: up to 10 s */
	for (int i = 0; i < 2000; i++) {
		int fd = connect_port(redis_port);
		struct stat sb;
		if (fd >= 0) {
			close(fd);
			if (stat(sock, &sb) == 0)
				return;
		}
		if (waitpid(redis_pid, NULL, WNOHANG) == redis_pid)
			break;
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "check_state: redis-server did not start on port %d\n", redis_port);
	kill(redis_pid, SIGKILL);
	exit(99);
}

static void redis_stop(void)
{
	if (redis_pid > 0) {
		kill(redis_pid, SIGTERM);
		waitpid(redis_pid, NULL, 0);
		redis_pid = 0;
	}
	char sock[128];
	snprintf(sock, sizeof sock, "%s/redis.sock", redis_dir);
	unlink(sock);
	rmdir(redis_dir);
}

/* The table, on back-end b. */
static void add_table(TCase *tc, int b)
{
	tcase_add_loop_test(tc, test_mark_then_commit, b, b + 1);
	tcase_add_loop_test(tc, test_rollback, b, b + 1);
	tcase_add_loop_test(tc, test_expiry, b, b + 1);
	tcase_add_loop_test(tc, test_reopen, b, b + 1);
	tcase_add_loop_test(tc, test_binary_keys, b, b + 1);
	tcase_add_loop_test(tc, test_bad_args, b, b + 1);
	tcase_add_loop_test(tc, test_claim_race, b, b + 1);
	tcase_add_loop_test(tc, test_claim_released, b, b + 1);
	tcase_add_loop_test(tc, test_claim_own, b, b + 1);
	tcase_add_loop_test(tc, test_claim_abandoned, b, b + 1);
	tcase_add_loop_test(tc, test_commit_many, b, b + 1);
	if (b != B_MEM)
		tcase_add_loop_test(tc, test_claim_waits, b, b + 1);
}

static TCase *new_tcase(const char *name)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	return tc;
}

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = new_tcase("open");
	tcase_add_loop_test(tc, test_bad_location, 0,
	                    sizeof bad_locations / sizeof bad_locations[0]);
	tcase_add_test(tc, test_redis_needs_user);
	tcase_add_test(tc, test_lazy_load);
	suite_add_tcase(s, tc);

	tc = new_tcase(bname[B_MEM]);
	add_table(tc, B_MEM);
	suite_add_tcase(s, tc);

#ifdef HAVE_SQLITE3_H
	tc = new_tcase(bname[B_SQLITE]);
	add_table(tc, B_SQLITE);
	tcase_add_test(tc, test_sqlite_files);
	tcase_add_test(tc, test_sqlite_no_folder);
	tcase_add_test(tc, test_sqlite_not_a_database);
	tcase_add_test(tc, test_sqlite_damaged_pages);
	tcase_add_test(tc, test_sqlite_locked);
	tcase_add_test(tc, test_sqlite_purge);
	tcase_add_test(tc, test_sqlite_newer_schema);
	suite_add_tcase(s, tc);
#else
	fprintf(stderr, "SKIP: built without sqlite3.h: the sqlite state back-end is not tested\n");
#endif

	bool redis = false;
#ifdef HAVE_HIREDIS_HIREDIS_H
	if (find_redis()) {
		redis = true;
		tc = new_tcase("redis");
		tcase_add_unchecked_fixture(tc, redis_start, redis_stop);
		add_table(tc, B_REDIS_TCP);
		add_table(tc, B_REDIS_UNIX);
		tcase_add_test(tc, test_redis_keys);
		tcase_add_test(tc, test_redis_foreign_values);
		tcase_add_test(tc, test_redis_apart);
		tcase_add_test(tc, test_redis_down);
		tcase_add_test(tc, test_redis_silent);
		tcase_add_test(tc, test_redis_auth);
		suite_add_tcase(s, tc);
	}
#endif
	if (!redis)
		fprintf(stderr, "SKIP: redis-server is not installed (or sift was built without "
		                "hiredis): the redis state back-end is not tested\n");

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
