/*
 * state.c: the state store (state.h) for vacation (RFC 5230 §4.2: "the
 * same response to the same sender" once per period, RFC 6131's
 * :seconds) and duplicate (RFC 7352): opening a location, the pending
 * transaction every back-end shares, the claim's wait for another
 * delivery's reservation, and three back-ends:
 *
 * - SQLite: one database per user in WAL mode with synchronous=FULL. In
 *   WAL mode FULL syncs the log at every commit, so a mark is on the disk
 *   when the delivery exits 0; NORMAL would let a power cut forget the
 *   last commits, and a forgotten "replied" is a second auto-reply, a
 *   forgotten "seen" a duplicate delivered. A claim is BEGIN IMMEDIATE
 *   (the write lock before the read, so no two deliveries both see the
 *   key free), a read, and an insert of a reservation row carrying this
 *   handle's token. Expired rows go a batch at a time, through an index
 *   on the end time, in the writes that happen anyway. A file SQLite
 *   finds damaged is renamed aside and a new one started.
 * - Redis: one key per mark, PREFIX:{USER}:NS:KEY (the braces keep a
 *   user's keys in one cluster slot), value "m:END" (a mark) or
 *   "p:TOKEN:END" (a reservation); a claim is SET NX PX, with WATCH and
 *   MULTI to take over an expired mark or an abandoned reservation; a
 *   commit is one MULTI/EXEC. Key expiry (PX) removes what has ended.
 * - mem: the test double, process-local.
 *
 * Every mark also carries its end time, which is compared with the
 * caller's "now", so a fixed now (tests, sieve-test) means the same on
 * every back-end; server-side expiry only collects the garbage.
 *
 * libsqlite3 and libhiredis are opened with dlopen() on the first open
 * of such a location and reached through tables typed from their own
 * prototypes (as tls.c does for OpenSSL): a delivery that never touches
 * state never loads them.
 *
 * Not done yet: reconnecting to Redis within one handle (a lost
 * connection fails the handle's later calls), Redis Sentinel and TLS,
 * ACL user names for AUTH.
 */
#include <config.h> /* the build's, not delivery/config.h */

#include "delivery/state.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/alloc.h"

#define NS_MAX 64
#define KEY_MAX 65536
#define TOKEN_LEN 32

/* ---- the pending transaction and the handle ---- */

struct pending {
	char ns[NS_MAX + 1];
	char *key;
	size_t klen;
	time_t expires;
	bool claimed; /* a reservation of this handle: rollback releases it */
};

struct sv_state_txn {
	struct pending *v;
	size_t n, cap;
};

enum claim_outcome {
	CLAIM_WON,  /* reserved for this handle (or held by it already) */
	CLAIM_SEEN, /* a committed mark that has not ended */
	CLAIM_BUSY, /* another delivery's live reservation */
};

/* What a back-end does; the generic layer validates, keeps the pending
 * transaction and waits. */
struct backend {
	enum sv_status (*check)(struct sv_state *st, const char *ns, const char *key, size_t klen,
	                        time_t now, bool *seen_r, struct sv_buf *err);
	/* one attempt, no waiting: a reservation ending at now + lease */
	enum sv_status (*claim)(struct sv_state *st, const char *ns, const char *key, size_t klen,
	                        time_t now, enum claim_outcome *out_r, struct sv_buf *err);
	/* write every pending entry as a mark, all or none */
	enum sv_status (*commit)(struct sv_state *st, struct sv_buf *err);
	/* release the pending entries that are claimed (best effort) */
	void (*release)(struct sv_state *st);
	void (*close)(struct sv_state *st);
};

struct sv_state {
	const struct backend *be;
	struct sv_state_opts o; /* o.user and o.prefix point into the handle */
	char *user, *prefix;
	struct sv_state_txn txn;
	char token[TOKEN_LEN + 1]; /* names this handle's reservations */
	time_t now;                /* the latest now a caller gave (o.now at first) */
};

void sv_state_opts_init(struct sv_state_opts *o)
{
	memset(o, 0, sizeof *o);
	o->prefix = "sift";
	o->busy_timeout_ms = 10000;
	o->timeout_ms = 5000;
	o->claim_wait_ms = 10000;
	o->claim_lease = 3600;
	o->purge_batch = 64;
}

/* A token unique among all deliveries, on every host of a fleet: 128
 * random bits; where the kernel has none to give yet, the pid, a counter
 * and the clock. */
static void make_token(char out[TOKEN_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	static unsigned counter;
	unsigned char r[TOKEN_LEN / 2];
	if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t a = (uint64_t)getpid() << 32 | ++counter;
		uint64_t b = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		memcpy(r, &a, 8);
		memcpy(r + 8, &b, 8);
	}
	for (size_t i = 0; i < sizeof r; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[TOKEN_LEN] = '\0';
}

static void base_init(struct sv_state *st, const struct backend *be, const struct sv_state_opts *o)
{
	st->be = be;
	if (o)
		st->o = *o;
	else
		sv_state_opts_init(&st->o);
	st->user = st->o.user ? sv_strdup(st->o.user) : NULL;
	st->prefix = sv_strdup(st->o.prefix && st->o.prefix[0] ? st->o.prefix : "sift");
	st->o.user = st->user;
	st->o.prefix = st->prefix;
	make_token(st->token);
	st->now = st->o.now ? st->o.now : time(NULL);
}

static void base_free(struct sv_state *st)
{
	sv_free(st->user);
	sv_free(st->prefix);
	sv_free(st->txn.v);
}

static void warn(struct sv_state *st, const char *text)
{
	if (st->o.warn)
		st->o.warn(st->o.warn_ctx, text);
}

static bool valid_args(const char *ns, const void *key, size_t klen, struct sv_buf *err)
{
	size_t n = ns ? strlen(ns) : 0;
	bool ok = n >= 1 && n <= NS_MAX;
	for (size_t i = 0; ok && i < n; i++) {
		char c = ns[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '.' || c == '_' || c == '-';
	}
	if (!ok) {
		sv_buf_puts(err, "invalid state namespace '");
		if (ns)
			sv_buf_put_sanitized(err, ns, n, 80);
		sv_buf_puts(err, "' (1 to 64 of A-Z a-z 0-9 . _ -)");
		return false;
	}
	if (!key || klen == 0 || klen > KEY_MAX) {
		sv_buf_printf(err, "invalid state key of %zu bytes in '%s' (1 to %d bytes)", klen,
		              ns, KEY_MAX);
		return false;
	}
	return true;
}

static struct pending *find_pending(struct sv_state *st, const char *ns, const void *key,
                                    size_t klen)
{
	for (size_t i = 0; i < st->txn.n; i++) {
		struct pending *p = &st->txn.v[i];
		if (p->klen == klen && strcmp(p->ns, ns) == 0 && memcmp(p->key, key, klen) == 0)
			return p;
	}
	return NULL;
}

/* The pending entry of (ns, key), made when there is none. */
static struct pending *put_pending(struct sv_state *st, const char *ns, const void *key,
                                   size_t klen, time_t expires)
{
	struct pending *p = find_pending(st, ns, key, klen);
	if (!p) {
		struct sv_state_txn *t = &st->txn;
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 4;
			t->v = sv_realloc(t->v, t->cap * sizeof *t->v);
		}
		p = &t->v[t->n++];
		memset(p, 0, sizeof *p);
		memcpy(p->ns, ns, strlen(ns) + 1);
		p->key = sv_malloc(klen);
		memcpy(p->key, key, klen);
		p->klen = klen;
	}
	p->expires = expires;
	return p;
}

static void clear_pending(struct sv_state *st)
{
	for (size_t i = 0; i < st->txn.n; i++)
		sv_free(st->txn.v[i].key);
	st->txn.n = 0;
}

static bool any_claimed(const struct sv_state *st)
{
	for (size_t i = 0; i < st->txn.n; i++)
		if (st->txn.v[i].claimed)
			return true;
	return false;
}

enum sv_status sv_dlv_state_check(struct sv_state *st, const char *ns, const void *key, size_t klen,
                                  time_t now, bool *seen_r, struct sv_buf *err)
{
	*seen_r = false;
	if (!valid_args(ns, key, klen, err))
		return SV_FAIL;
	st->now = now;
	return st->be->check(st, ns, key, klen, now, seen_r, err);
}

enum sv_status sv_dlv_state_mark(struct sv_state *st, const char *ns, const void *key, size_t klen,
                                 time_t expires_at, struct sv_buf *err)
{
	if (!valid_args(ns, key, klen, err))
		return SV_FAIL;
	put_pending(st, ns, key, klen, expires_at);
	return SV_OK;
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

enum sv_status sv_dlv_state_claim(struct sv_state *st, const char *ns, const void *key, size_t klen,
                                  time_t now, time_t expires_at, bool *won_r, struct sv_buf *err)
{
	*won_r = false;
	if (!valid_args(ns, key, klen, err))
		return SV_FAIL;
	st->now = now;
	struct pending *p = find_pending(st, ns, key, klen);
	if (p && p->claimed) {
		p->expires = expires_at;
		*won_r = true;
		return SV_OK;
	}
	/* Another delivery's reservation ends with its commit or rollback,
	 * normally within the second: poll for it, 1 ms doubling to 50 ms. */
	uint64_t start = monotonic_ms();
	unsigned delay = 1;
	for (;;) {
		enum claim_outcome out;
		enum sv_status s = st->be->claim(st, ns, key, klen, now, &out, err);
		if (s != SV_OK)
			return s;
		if (out == CLAIM_WON) {
			put_pending(st, ns, key, klen, expires_at)->claimed = true;
			*won_r = true;
			return SV_OK;
		}
		if (out == CLAIM_SEEN)
			return SV_OK;
		uint64_t waited = monotonic_ms() - start;
		if (waited >= st->o.claim_wait_ms) {
			sv_buf_printf(err,
			              "another delivery holds this '%s' key (waited %llu ms): try "
			              "again later",
			              ns, (unsigned long long)waited);
			return SV_TEMPFAIL;
		}
		uint64_t left = st->o.claim_wait_ms - waited;
		sleep_ms(delay < left ? delay : (unsigned)left);
		delay = delay * 2 > 50 ? 50 : delay * 2;
	}
}

enum sv_status sv_dlv_state_commit(struct sv_state *st, struct sv_buf *err)
{
	if (st->txn.n == 0)
		return SV_OK;
	enum sv_status s = st->be->commit(st, err);
	if (s == SV_OK)
		clear_pending(st);
	return s;
}

void sv_dlv_state_rollback(struct sv_state *st)
{
	if (any_claimed(st))
		st->be->release(st);
	clear_pending(st);
}

void sv_dlv_state_close(struct sv_state *st)
{
	if (!st)
		return;
	sv_dlv_state_rollback(st);
	st->be->close(st);
}

size_t sv_dlv_state_pending(const struct sv_state *st)
{
	return st->txn.n;
}

/* Decimal digits s[0..n) as a number up to max; false otherwise. */
static bool parse_uint(const char *s, size_t n, unsigned long max, unsigned long *v_r)
{
	unsigned long v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return false;
	}
	*v_r = v;
	return true;
}

/* ---- mem: the in-memory test double ---- */

/* Rows of one name, shared by the handles of this process that open it;
 * not thread-safe (one thread plays every delivery). */
struct mem_row {
	char ns[NS_MAX + 1];
	char *key;
	size_t klen;
	time_t expires;
	char owner[TOKEN_LEN + 1]; /* "": a committed mark */
};

struct mem_table {
	char *name;
	struct mem_row *rows;
	size_t n, cap;
	struct mem_table *next;
};

static struct mem_table *mem_tables;

struct mem_state {
	struct sv_state base;
	struct mem_table *t;
};

static struct mem_table *mem_of(struct sv_state *st)
{
	return ((struct mem_state *)st)->t;
}

static struct mem_row *mem_find(struct mem_table *t, const char *ns, const char *key, size_t klen)
{
	for (size_t i = 0; i < t->n; i++) {
		struct mem_row *r = &t->rows[i];
		if (r->klen == klen && strcmp(r->ns, ns) == 0 && memcmp(r->key, key, klen) == 0)
			return r;
	}
	return NULL;
}

static struct mem_row *mem_put(struct mem_table *t, const char *ns, const char *key, size_t klen)
{
	struct mem_row *r = mem_find(t, ns, key, klen);
	if (r)
		return r;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 8;
		t->rows = sv_realloc(t->rows, t->cap * sizeof *t->rows);
	}
	r = &t->rows[t->n++];
	memset(r, 0, sizeof *r);
	memcpy(r->ns, ns, strlen(ns) + 1);
	r->key = sv_malloc(klen);
	memcpy(r->key, key, klen);
	r->klen = klen;
	return r;
}

static void mem_remove(struct mem_table *t, struct mem_row *r)
{
	sv_free(r->key);
	*r = t->rows[--t->n];
}

static enum sv_status mem_check(struct sv_state *st, const char *ns, const char *key, size_t klen,
                                time_t now, bool *seen_r, struct sv_buf *err)
{
	struct mem_row *r = mem_find(mem_of(st), ns, key, klen);
	*seen_r = r && !r->owner[0] && r->expires > now;
	return SV_OK;
}

static enum sv_status mem_claim(struct sv_state *st, const char *ns, const char *key, size_t klen,
                                time_t now, enum claim_outcome *out_r, struct sv_buf *err)
{
	struct mem_row *r = mem_find(mem_of(st), ns, key, klen);
	if (r && strcmp(r->owner, st->token) == 0) {
		*out_r = CLAIM_WON;
	} else if (r && r->expires > now) {
		*out_r = r->owner[0] ? CLAIM_BUSY : CLAIM_SEEN;
	} else {
		r = mem_put(mem_of(st), ns, key, klen);
		r->expires = now + (time_t)st->o.claim_lease;
		memcpy(r->owner, st->token, sizeof r->owner);
		*out_r = CLAIM_WON;
	}
	return SV_OK;
}

static enum sv_status mem_commit(struct sv_state *st, struct sv_buf *err)
{
	struct mem_table *t = mem_of(st);
	for (size_t i = 0; i < st->txn.n; i++) {
		struct pending *p = &st->txn.v[i];
		struct mem_row *r = mem_put(t, p->ns, p->key, p->klen);
		r->expires = p->expires;
		r->owner[0] = '\0';
	}
	unsigned purged = 0;
	for (size_t i = 0; i < t->n && purged < st->o.purge_batch;) {
		if (t->rows[i].expires <= st->now) {
			mem_remove(t, &t->rows[i]);
			purged++;
		} else {
			i++;
		}
	}
	return SV_OK;
}

static void mem_release(struct sv_state *st)
{
	struct mem_table *t = mem_of(st);
	for (size_t i = 0; i < st->txn.n; i++) {
		struct pending *p = &st->txn.v[i];
		struct mem_row *r = p->claimed ? mem_find(t, p->ns, p->key, p->klen) : NULL;
		if (r && strcmp(r->owner, st->token) == 0)
			mem_remove(t, r);
	}
}

static void mem_close(struct sv_state *st)
{
	base_free(st);
	sv_free(st);
}

static const struct backend mem_backend = {
    mem_check, mem_claim, mem_commit, mem_release, mem_close,
};

static enum sv_status mem_open(const char *name, const struct sv_state_opts *o,
                               struct sv_state **st_r, struct sv_buf *err)
{
	struct mem_table *t = mem_tables;
	while (t && strcmp(t->name, name) != 0)
		t = t->next;
	if (!t) {
		t = sv_calloc(1, sizeof *t);
		t->name = sv_strdup(name);
		t->next = mem_tables;
		mem_tables = t;
	}
	struct mem_state *m = sv_calloc(1, sizeof *m);
	base_init(&m->base, &mem_backend, o);
	m->t = t;
	*st_r = &m->base;
	return SV_OK;
}

/* ---- loading a library on first use ---- */

struct lib_load {
	pthread_once_t once;
	bool loaded;
	char error[256];
};

static bool resolve(void *lib, const char *what, const char *name, void **slot, char *error,
                    size_t cap)
{
	*slot = dlsym(lib, name);
	if (*slot)
		return true;
	snprintf(error, cap, "%s has no %s", what, name);
	return false;
}

static void *open_lib(const char *soname, const char *what, char *error, size_t cap)
{
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *why = dlerror();
		snprintf(error, cap, "cannot load %s: %s", what, why ? why : "unknown error");
	}
	return lib;
}

/* ---- SQLite ---- */

#ifdef HAVE_SQLITE3_H
#include <sqlite3.h>

#define SQLITE_FUNCS(X)                                                                            \
	X(sqlite3_open_v2)                                                                         \
	X(sqlite3_close_v2)                                                                        \
	X(sqlite3_extended_result_codes)                                                           \
	X(sqlite3_busy_timeout)                                                                    \
	X(sqlite3_exec)                                                                            \
	X(sqlite3_prepare_v2)                                                                      \
	X(sqlite3_step)                                                                            \
	X(sqlite3_reset)                                                                           \
	X(sqlite3_finalize)                                                                        \
	X(sqlite3_bind_text)                                                                       \
	X(sqlite3_bind_blob)                                                                       \
	X(sqlite3_bind_int64)                                                                      \
	X(sqlite3_bind_null)                                                                       \
	X(sqlite3_column_int64)                                                                    \
	X(sqlite3_column_text)                                                                     \
	X(sqlite3_errmsg)                                                                          \
	X(sqlite3_errstr)                                                                          \
	X(sqlite3_get_autocommit)

static struct {
#define FIELD(f) __typeof__(&f) f;
	SQLITE_FUNCS(FIELD)
#undef FIELD
} sq;

static struct lib_load sq_lib = {PTHREAD_ONCE_INIT, false, ""};

static void sq_load(void)
{
	void *lib = open_lib("libsqlite3.so.0", "SQLite", sq_lib.error, sizeof sq_lib.error);
	bool ok = lib != NULL;
#define RESOLVE(f)                                                                                 \
	ok = ok && resolve(lib, "SQLite", #f, (void **)&sq.f, sq_lib.error, sizeof sq_lib.error);
	SQLITE_FUNCS(RESOLVE)
#undef RESOLVE
	sq_lib.loaded = ok;
}

/* The statements a handle prepares once, when first used. */
enum sq_stmt { SQ_CHECK, SQ_GET, SQ_PUT, SQ_RELEASE, SQ_PURGE, SQ_N };

static const char *const sq_sql[SQ_N] = {
    [SQ_CHECK] = "SELECT expires FROM marks WHERE ns = ?1 AND key = ?2 AND owner IS NULL",
    [SQ_GET] = "SELECT expires, owner FROM marks WHERE ns = ?1 AND key = ?2",
    /* ?4: the reservation's token, NULL for a mark */
    [SQ_PUT] = "INSERT OR REPLACE INTO marks (ns, key, expires, owner) VALUES (?1, ?2, ?3, ?4)",
    [SQ_RELEASE] = "DELETE FROM marks WHERE ns = ?1 AND key = ?2 AND owner = ?3",
    /* bounded: the index on expires finds the oldest rows first */
    [SQ_PURGE] = "DELETE FROM marks WHERE rowid IN (SELECT rowid FROM marks WHERE expires <= ?1 "
                 "ORDER BY expires LIMIT ?2)",
};

/* Schema version 1. A row is a mark (owner NULL, expires: when it ends)
 * or a reservation (owner: the claiming handle's token, expires: when it
 * counts as abandoned). */
#define SQ_SCHEMA_VERSION 1
static const char sq_schema[] =
    "BEGIN IMMEDIATE;"
    "CREATE TABLE IF NOT EXISTS sift_schema (version INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS marks (ns TEXT NOT NULL, key BLOB NOT NULL,"
    " expires INTEGER NOT NULL, owner TEXT, UNIQUE (ns, key));"
    "CREATE INDEX IF NOT EXISTS marks_expires ON marks (expires);"
    "INSERT INTO sift_schema (version) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM sift_schema);"
    "COMMIT;";

struct sq_state {
	struct sv_state base;
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[SQ_N];
	dev_t dev; /* the file opened, so a recovery never moves a newer one */
	ino_t ino;
};

static bool sq_is_corrupt(int rc)
{
	return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

static void sq_close_db(struct sq_state *q)
{
	for (int i = 0; i < SQ_N; i++) {
		if (q->stmt[i])
			sq.sqlite3_finalize(q->stmt[i]);
		q->stmt[i] = NULL;
	}
	if (q->db)
		sq.sqlite3_close_v2(q->db);
	q->db = NULL;
}

static void put_path(struct sv_buf *b, const char *path)
{
	sv_buf_put_sanitized(b, path, strlen(path), 200);
}

/* Make the file 0600 before SQLite does (it would use 0644 less the
 * umask; the -wal and -shm files take the database's mode), and note
 * which file it is. */
static enum sv_status sq_create_file(struct sq_state *q, struct sv_buf *err)
{
	int fd = open(q->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		sv_buf_puts(err, "cannot create the state database ");
		put_path(err, q->path);
		sv_buf_printf(err, ": %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return SV_TEMPFAIL;
	}
	close(fd);
	q->dev = sb.st_dev;
	q->ino = sb.st_ino;
	return SV_OK;
}

/* The schema version the database has; 0 when it has none yet. */
static int sq_version(struct sq_state *q, int *version_r)
{
	sqlite3_stmt *s;
	*version_r = 0;
	int rc = sq.sqlite3_prepare_v2(q->db, "SELECT version FROM sift_schema", -1, &s, NULL);
	if (rc == SQLITE_ERROR) /* no such table: a new database */
		return SQLITE_OK;
	if (rc != SQLITE_OK)
		return rc;
	rc = sq.sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*version_r = (int)sq.sqlite3_column_int64(s, 0);
	sq.sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Open the database and bring it to our schema, once. */
static int sq_setup_once(struct sq_state *q, struct sv_buf *err)
{
	int rc =
	    sq.sqlite3_open_v2(q->path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	int version = 0;
	if (rc == SQLITE_OK) {
		sq.sqlite3_extended_result_codes(q->db, 1);
		sq.sqlite3_busy_timeout(q->db, (int)(q->base.o.busy_timeout_ms > INT_MAX
		                                         ? INT_MAX
		                                         : q->base.o.busy_timeout_ms));
		/* see the file's header comment for FULL */
		rc = sq.sqlite3_exec(q->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
		                     NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sq_version(q, &version);
	if (rc == SQLITE_OK && version == 0) {
		rc = sq.sqlite3_exec(q->db, sq_schema, NULL, NULL, NULL);
		if (rc != SQLITE_OK && !sq.sqlite3_get_autocommit(q->db))
			sq.sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sq_version(q, &version);
	}
	if (rc != SQLITE_OK) {
		sv_buf_puts(err, "state database ");
		put_path(err, q->path);
		sv_buf_printf(err, ": %s",
		              q->db ? sq.sqlite3_errmsg(q->db) : sq.sqlite3_errstr(rc));
		return rc;
	}
	if (version != SQ_SCHEMA_VERSION) {
		sv_buf_puts(err, "state database ");
		put_path(err, q->path);
		sv_buf_printf(err, " has schema version %d; this sift knows version %d", version,
		              SQ_SCHEMA_VERSION);
		return SQLITE_ERROR;
	}
	return SQLITE_OK;
}

/* Open the database and bring it to our schema. An SQLite result code:
 * SQLITE_OK, or what went wrong, described in err. Two deliveries that
 * open a new database at once race to switch it to WAL and to create the
 * schema, and SQLite answers the loser "locked" there without waiting in
 * its busy handler: the loser tries again, within the busy timeout. */
static int sq_setup(struct sq_state *q, struct sv_buf *err)
{
	uint64_t start = monotonic_ms();
	unsigned pause = 5;
	for (;;) {
		sv_buf_reset(err);
		int rc = sq_setup_once(q, err);
		int primary = rc & 0xff;
		if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) ||
		    monotonic_ms() - start >= q->base.o.busy_timeout_ms)
			return rc;
		sq_close_db(q);
		sleep_ms(pause);
		if (pause < 100)
			pause *= 2;
	}
}

/* Rename a damaged database aside (with its log) so that a new one can
 * start; the copy stays for whoever wants to look. Not when the file at
 * the path is no longer the one this handle opened: another delivery has
 * moved it already. */
static enum sv_status sq_move_aside(struct sq_state *q, struct sv_buf *aside, struct sv_buf *err)
{
	struct stat sb;
	sq_close_db(q);
	if (stat(q->path, &sb) != 0 || sb.st_dev != q->dev || sb.st_ino != q->ino)
		return SV_OK;
	sv_buf_printf(aside, "%s.corrupt-%lld-%ld", q->path, (long long)time(NULL), (long)getpid());
	if (rename(q->path, aside->p) != 0) {
		sv_buf_puts(err, "cannot move the damaged state database ");
		put_path(err, q->path);
		sv_buf_printf(err, " aside: %s", strerror(errno));
		return SV_TEMPFAIL;
	}
	struct sv_buf from = SV_BUF_INIT, to = SV_BUF_INIT;
	sv_buf_printf(&from, "%s-wal", q->path);
	sv_buf_printf(&to, "%s-wal", aside->p);
	rename(from.p, to.p);
	sv_buf_reset(&from);
	sv_buf_printf(&from, "%s-shm", q->path);
	unlink(from.p);
	sv_buf_free(&from);
	sv_buf_free(&to);
	return SV_OK;
}

/* A damaged database: move it aside and start a new one. what says what
 * SQLite found; the outcome goes to err (for the caller) and to warn. */
static enum sv_status sq_recover(struct sq_state *q, const char *what, struct sv_buf *err)
{
	struct sv_buf aside = SV_BUF_INIT, why = SV_BUF_INIT;
	enum sv_status s = sq_move_aside(q, &aside, err);
	if (s == SV_OK)
		s = sq_create_file(q, err);
	if (s == SV_OK && sq_setup(q, &why) != SQLITE_OK) {
		sv_buf_append(err, why.p, why.len);
		s = SV_TEMPFAIL;
	}
	if (s != SV_OK) {
		sq_close_db(q);
	} else if (aside.len) {
		struct sv_buf note = SV_BUF_INIT;
		sv_buf_puts(&note, "state database ");
		put_path(&note, q->path);
		sv_buf_printf(&note, " was damaged (%s); moved aside to ", what);
		put_path(&note, aside.p);
		sv_buf_puts(&note, " and a new one started");
		warn(&q->base, note.p);
		sv_buf_append(err, note.p, note.len);
		sv_buf_free(&note);
	}
	sv_buf_free(&aside);
	sv_buf_free(&why);
	return s;
}

/* A failed call: end the transaction, describe it, and recover a damaged
 * database, so that the retry the SV_TEMPFAIL asks for finds a working
 * one. */
static enum sv_status sq_fail(struct sq_state *q, sqlite3_stmt *s, int rc, const char *doing,
                              struct sv_buf *err)
{
	struct sv_buf what = SV_BUF_INIT;
	sv_buf_puts(&what, q->db ? sq.sqlite3_errmsg(q->db) : sq.sqlite3_errstr(rc));
	if (s)
		sq.sqlite3_reset(s);
	if (q->db && !sq.sqlite3_get_autocommit(q->db))
		sq.sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	if (sq_is_corrupt(rc)) {
		sv_buf_printf(err, "cannot %s: ", doing);
		sq_recover(q, what.p, err);
		sv_buf_puts(err, "; try again");
	} else {
		sv_buf_puts(err, "state database ");
		put_path(err, q->path);
		sv_buf_printf(err, ": cannot %s: %s", doing, what.p);
		if (rc == SQLITE_BUSY) /* waited the whole busy timeout */
			sv_buf_printf(err, " (another delivery held it for %u ms)",
			              q->base.o.busy_timeout_ms);
	}
	sv_buf_free(&what);
	return SV_TEMPFAIL;
}

static struct sq_state *sq_of(struct sv_state *st)
{
	return (struct sq_state *)st;
}

static enum sv_status sq_ready(struct sq_state *q, struct sv_buf *err)
{
	if (q->db)
		return SV_OK;
	sv_buf_puts(err, "state database ");
	put_path(err, q->path);
	sv_buf_puts(err, " is not open (an earlier recovery failed)");
	return SV_TEMPFAIL;
}

/* The statement i, prepared on first use, with ns and key bound to ?1
 * and ?2; an SQLite result code. */
static int sq_stmt(struct sq_state *q, enum sq_stmt i, const char *ns, const char *key, size_t klen,
                   sqlite3_stmt **s_r)
{
	int rc = SQLITE_OK;
	if (!q->stmt[i])
		rc = sq.sqlite3_prepare_v2(q->db, sq_sql[i], -1, &q->stmt[i], NULL);
	*s_r = q->stmt[i];
	if (rc == SQLITE_OK && ns)
		rc = sq.sqlite3_bind_text(q->stmt[i], 1, ns, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && key)
		rc = sq.sqlite3_bind_blob(q->stmt[i], 2, key, (int)klen, SQLITE_STATIC);
	return rc;
}

static int sq_exec(struct sq_state *q, const char *sql)
{
	return sq.sqlite3_exec(q->db, sql, NULL, NULL, NULL);
}

static enum sv_status sq_check(struct sv_state *st, const char *ns, const char *key, size_t klen,
                               time_t now, bool *seen_r, struct sv_buf *err)
{
	struct sq_state *q = sq_of(st);
	sqlite3_stmt *s = NULL;
	if (sq_ready(q, err) != SV_OK)
		return SV_TEMPFAIL;
	int rc = sq_stmt(q, SQ_CHECK, ns, key, klen, &s);
	if (rc == SQLITE_OK) {
		rc = sq.sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*seen_r = sq.sqlite3_column_int64(s, 0) > (sqlite3_int64)now;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(q, s, rc, "read a mark", err);
	sq.sqlite3_reset(s);
	return SV_OK;
}

/* Delete up to purge_batch rows that ended at or before now. */
static int sq_purge(struct sq_state *q, time_t now, sqlite3_stmt **s_r)
{
	if (q->base.o.purge_batch == 0)
		return SQLITE_OK;
	int rc = sq_stmt(q, SQ_PURGE, NULL, NULL, 0, s_r);
	if (rc == SQLITE_OK)
		rc = sq.sqlite3_bind_int64(*s_r, 1, now);
	if (rc == SQLITE_OK)
		rc = sq.sqlite3_bind_int64(*s_r, 2, q->base.o.purge_batch);
	if (rc == SQLITE_OK && (rc = sq.sqlite3_step(*s_r)) == SQLITE_DONE)
		rc = SQLITE_OK;
	if (rc == SQLITE_OK)
		sq.sqlite3_reset(*s_r);
	return rc;
}

/* Write one row: a reservation of this handle (owner) or a mark (NULL). */
static int sq_put(struct sq_state *q, const char *ns, const char *key, size_t klen, time_t expires,
                  const char *owner, sqlite3_stmt **s_r)
{
	int rc = sq_stmt(q, SQ_PUT, ns, key, klen, s_r);
	if (rc == SQLITE_OK)
		rc = sq.sqlite3_bind_int64(*s_r, 3, expires);
	if (rc == SQLITE_OK)
		rc = owner ? sq.sqlite3_bind_text(*s_r, 4, owner, -1, SQLITE_STATIC)
		           : sq.sqlite3_bind_null(*s_r, 4);
	if (rc == SQLITE_OK && (rc = sq.sqlite3_step(*s_r)) == SQLITE_DONE)
		rc = SQLITE_OK;
	if (rc == SQLITE_OK)
		sq.sqlite3_reset(*s_r);
	return rc;
}

static enum sv_status sq_claim(struct sv_state *st, const char *ns, const char *key, size_t klen,
                               time_t now, enum claim_outcome *out_r, struct sv_buf *err)
{
	struct sq_state *q = sq_of(st);
	sqlite3_stmt *s = NULL;
	if (sq_ready(q, err) != SV_OK)
		return SV_TEMPFAIL;
	/* IMMEDIATE: the write lock before the read, so that the key cannot
	 * change between what this claim sees and what it writes */
	int rc = sq_exec(q, "BEGIN IMMEDIATE");
	bool take = false;
	if (rc == SQLITE_OK)
		rc = sq_stmt(q, SQ_GET, ns, key, klen, &s);
	if (rc == SQLITE_OK) {
		rc = sq.sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			sqlite3_int64 end = sq.sqlite3_column_int64(s, 0);
			const char *owner = (const char *)sq.sqlite3_column_text(s, 1);
			if (owner && strcmp(owner, st->token) == 0)
				*out_r = CLAIM_WON;
			else if (end > (sqlite3_int64)now)
				*out_r = owner ? CLAIM_BUSY : CLAIM_SEEN;
			else
				take = true; /* ended, or abandoned by its delivery */
		} else if (rc == SQLITE_DONE) {
			take = true;
		}
		if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
			sq.sqlite3_reset(s);
			rc = SQLITE_OK;
		}
	}
	if (rc == SQLITE_OK && take) {
		*out_r = CLAIM_WON;
		rc = sq_put(q, ns, key, klen, now + (time_t)st->o.claim_lease, st->token, &s);
		if (rc == SQLITE_OK)
			rc = sq_purge(q, now, &s);
	}
	if (rc == SQLITE_OK) {
		s = NULL;
		rc = sq_exec(q, "COMMIT");
	}
	if (rc != SQLITE_OK)
		return sq_fail(q, s, rc, "claim a key", err);
	return SV_OK;
}

static enum sv_status sq_commit(struct sv_state *st, struct sv_buf *err)
{
	struct sq_state *q = sq_of(st);
	sqlite3_stmt *s = NULL;
	if (sq_ready(q, err) != SV_OK)
		return SV_TEMPFAIL;
	int rc = sq_exec(q, "BEGIN IMMEDIATE");
	for (size_t i = 0; rc == SQLITE_OK && i < st->txn.n; i++) {
		struct pending *p = &st->txn.v[i];
		rc = sq_put(q, p->ns, p->key, p->klen, p->expires, NULL, &s);
	}
	if (rc == SQLITE_OK)
		rc = sq_purge(q, st->now, &s);
	if (rc == SQLITE_OK) {
		s = NULL;
		rc = sq_exec(q, "COMMIT");
	}
	if (rc != SQLITE_OK)
		return sq_fail(q, s, rc, "commit marks", err);
	return SV_OK;
}

static void sq_release(struct sv_state *st)
{
	struct sq_state *q = sq_of(st);
	sqlite3_stmt *s = NULL;
	if (!q->db)
		return;
	int rc = sq_exec(q, "BEGIN IMMEDIATE");
	for (size_t i = 0; rc == SQLITE_OK && i < st->txn.n; i++) {
		struct pending *p = &st->txn.v[i];
		if (!p->claimed)
			continue;
		rc = sq_stmt(q, SQ_RELEASE, p->ns, p->key, p->klen, &s);
		if (rc == SQLITE_OK)
			rc = sq.sqlite3_bind_text(s, 3, st->token, -1, SQLITE_STATIC);
		if (rc == SQLITE_OK && (rc = sq.sqlite3_step(s)) == SQLITE_DONE)
			rc = SQLITE_OK;
		if (rc == SQLITE_OK)
			sq.sqlite3_reset(s);
	}
	if (rc == SQLITE_OK) {
		s = NULL;
		rc = sq_exec(q, "COMMIT");
	}
	if (rc != SQLITE_OK) {
		/* the reservations stay until their lease ends (state.h) */
		struct sv_buf ignored = SV_BUF_INIT;
		sq_fail(q, s, rc, "release a claim", &ignored);
		sv_buf_free(&ignored);
	}
}

static void sq_close(struct sv_state *st)
{
	struct sq_state *q = sq_of(st);
	sq_close_db(q);
	sv_free(q->path);
	base_free(st);
	sv_free(q);
}

static const struct backend sq_backend = {
    sq_check, sq_claim, sq_commit, sq_release, sq_close,
};

/* The folder the database lives in, made 0700 when missing (one level:
 * the home above it must exist). */
static enum sv_status sq_make_folder(const char *path, struct sv_buf *err)
{
	const char *slash = strrchr(path, '/');
	if (slash == path)
		return SV_OK;
	char *dir = sv_strndup(path, (size_t)(slash - path));
	enum sv_status s = SV_OK;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		sv_buf_puts(err, "cannot make the state folder ");
		put_path(err, dir);
		sv_buf_printf(err, ": %s", strerror(errno));
		s = SV_TEMPFAIL;
	}
	sv_free(dir);
	return s;
}

static enum sv_status sq_open(const char *path, const struct sv_state_opts *o,
                              struct sv_state **st_r, struct sv_buf *err)
{
	pthread_once(&sq_lib.once, sq_load);
	if (!sq_lib.loaded) {
		sv_buf_puts(err, sq_lib.error);
		return SV_TEMPFAIL;
	}
	enum sv_status s = sq_make_folder(path, err);
	if (s != SV_OK)
		return s;
	struct sq_state *q = sv_calloc(1, sizeof *q);
	base_init(&q->base, &sq_backend, o);
	q->path = sv_strdup(path);
	s = sq_create_file(q, err);
	if (s == SV_OK) {
		struct sv_buf why = SV_BUF_INIT;
		int rc = sq_setup(q, &why);
		if (sq_is_corrupt(rc)) {
			struct sv_buf ignored = SV_BUF_INIT;
			s = sq_recover(q, sq.sqlite3_errstr(rc), &ignored);
			if (s != SV_OK)
				sv_buf_append(err, ignored.p, ignored.len);
			sv_buf_free(&ignored);
		} else if (rc != SQLITE_OK) {
			sv_buf_append(err, why.p, why.len);
			s = SV_TEMPFAIL;
		}
		sv_buf_free(&why);
	}
	if (s != SV_OK) {
		sq_close(&q->base);
		return s;
	}
	*st_r = &q->base;
	return SV_OK;
}

#else /* no sqlite3.h at build time */

static enum sv_status sq_open(const char *path, const struct sv_state_opts *o,
                              struct sv_state **st_r, struct sv_buf *err)
{
	(void)path, (void)o, (void)st_r;
	sv_buf_puts(err, "sift was built without SQLite (sqlite3.h)");
	return SV_TEMPFAIL;
}

#endif

/* ---- Redis ---- */

/* Where a Redis location points, and its options. */
struct rd_loc {
	char *host; /* NULL with sock */
	char *sock;
	unsigned long port, db;
	char *prefix, *password;
};

static void rd_loc_free(struct rd_loc *l)
{
	sv_free(l->host);
	sv_free(l->sock);
	sv_free(l->prefix);
	if (l->password)
		explicit_bzero(l->password, strlen(l->password));
	sv_free(l->password);
}

/* One "&"-separated option of a Redis location. */
static enum sv_status rd_option(const char *s, size_t n, struct rd_loc *l, struct sv_buf *err)
{
	const char *eq = memchr(s, '=', n);
	size_t klen = eq ? (size_t)(eq - s) : n;
	const char *v = eq ? eq + 1 : s + n;
	size_t vlen = (size_t)(s + n - v);
	char **slot = NULL;
	if (klen == 6 && memcmp(s, "prefix", 6) == 0)
		slot = &l->prefix;
	else if (klen == 8 && memcmp(s, "password", 8) == 0)
		slot = &l->password;
	else if (!(klen == 2 && memcmp(s, "db", 2) == 0)) {
		sv_buf_puts(err, "unknown redis state option '");
		sv_buf_put_sanitized(err, s, klen, 40);
		sv_buf_puts(err, "' (prefix, db, password)");
		return SV_FAIL;
	}
	for (size_t i = 0; eq && i < vlen; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
			vlen = 0; /* spaces and control characters: refused below */
	if (!eq || vlen == 0) {
		sv_buf_puts(err, "the redis state option '");
		sv_buf_put_sanitized(err, s, klen, 40);
		sv_buf_puts(err, "' needs a value without spaces or control characters");
		return SV_FAIL;
	}
	if (!slot) {
		if (!parse_uint(v, vlen, 1000000, &l->db)) {
			sv_buf_puts(err, "the redis state option 'db' needs a database number");
			return SV_FAIL;
		}
		return SV_OK;
	}
	sv_free(*slot);
	*slot = sv_strndup(v, vlen);
	return SV_OK;
}

/* "HOST:PORT[/DB][?OPTIONS]", "[IPV6]:PORT[/DB][?OPTIONS]" or
 * "unix:/PATH[?OPTIONS]" (what follows "redis:"). */
static enum sv_status rd_parse(const char *s, struct rd_loc *l, struct sv_buf *err)
{
	const char *q = strchr(s, '?');
	const char *end = q ? q : s + strlen(s);
	const char *p = s;
	l->port = 6379;
	if (strncmp(s, "unix:", 5) == 0) {
		if (end - s <= 5 || s[5] != '/')
			goto bad;
		l->sock = sv_strndup(s + 5, (size_t)(end - s - 5));
		p = end;
	} else {
		const char *h = s, *he;
		if (*s == '[') {
			h = s + 1;
			he = memchr(h, ']', (size_t)(end - h));
			if (!he)
				goto bad;
			p = he + 1;
		} else {
			he = h;
			while (he < end && *he != ':' && *he != '/')
				he++;
			p = he;
		}
		for (const char *c = h; c < he; c++)
			if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '[' || *c == ']')
				goto bad;
		if (he == h)
			goto bad;
		l->host = sv_strndup(h, (size_t)(he - h));
		if (p < end && *p == ':') {
			const char *pe = ++p;
			while (pe < end && *pe != '/')
				pe++;
			if (!parse_uint(p, (size_t)(pe - p), 65535, &l->port) || l->port == 0)
				goto bad;
			p = pe;
		}
		if (p < end && *p == '/') {
			if (!parse_uint(p + 1, (size_t)(end - p - 1), 1000000, &l->db))
				goto bad;
			p = end;
		}
	}
	if (p != end)
		goto bad;
	while (q && *q) {
		const char *o = q + 1;
		q = strchr(o, '&');
		enum sv_status st = rd_option(o, q ? (size_t)(q - o) : strlen(o), l, err);
		if (st != SV_OK)
			return st;
	}
	return SV_OK;
bad:
	sv_buf_puts(err, "cannot understand the redis state location 'redis:");
	sv_buf_put_sanitized(err, s, (size_t)(end - s), 120);
	sv_buf_puts(err, "' (redis:HOST:PORT[/DB][?OPTIONS] or redis:unix:/PATH[?OPTIONS])");
	return SV_FAIL;
}

#ifdef HAVE_HIREDIS_HIREDIS_H
#include <hiredis/hiredis.h>

#define RD_STR2(x) #x
#define RD_STR(x) RD_STR2(x)
/* the soname of the library the header describes: the reply and context
 * structures we read must be the ones it was built with */
#define RD_SONAME "libhiredis.so." RD_STR(HIREDIS_SONAME)

#define HIREDIS_FUNCS(X)                                                                           \
	X(redisConnectWithTimeout)                                                                 \
	X(redisConnectUnixWithTimeout)                                                             \
	X(redisSetTimeout)                                                                         \
	X(redisCommandArgv)                                                                        \
	X(freeReplyObject)                                                                         \
	X(redisFree)

static struct {
#define FIELD(f) __typeof__(&f) f;
	HIREDIS_FUNCS(FIELD)
#undef FIELD
} rd;

static struct lib_load rd_lib = {PTHREAD_ONCE_INIT, false, ""};

static void rd_load(void)
{
	void *lib = open_lib(RD_SONAME, "hiredis", rd_lib.error, sizeof rd_lib.error);
	bool ok = lib != NULL;
#define RESOLVE(f)                                                                                 \
	ok = ok && resolve(lib, "hiredis", #f, (void **)&rd.f, rd_lib.error, sizeof rd_lib.error);
	HIREDIS_FUNCS(RESOLVE)
#undef RESOLVE
	rd_lib.loaded = ok;
}

struct rd_state {
	struct sv_state base;
	redisContext *c;
	char *where;     /* "redis at HOST:PORT", for messages */
	char *user;      /* the user name as it goes into keys */
	bool broken;     /* the connection failed: hiredis cannot go on with it */
	struct sv_buf k; /* the key being built */
};

static struct rd_state *rd_of(struct sv_state *st)
{
	return (struct rd_state *)st;
}

/* One command; its reply, or NULL with the reason in err (the server's
 * error, or a connection that failed or timed out: then the handle is
 * broken). */
static redisReply *rd_cmd(struct rd_state *r, struct sv_buf *err, int argc, const char **argv,
                          const size_t *lens)
{
	if (r->broken) {
		sv_buf_printf(err, "%s: the connection failed earlier", r->where);
		return NULL;
	}
	redisReply *rep = rd.redisCommandArgv(r->c, argc, argv, lens);
	if (!rep) {
		r->broken = true;
		bool timeout =
		    r->c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
		if (timeout)
			sv_buf_printf(err, "%s: no answer within %u ms", r->where,
			              r->base.o.timeout_ms);
		else
			sv_buf_printf(err, "%s: %s", r->where,
			              r->c->errstr[0] ? r->c->errstr : "connection failed");
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		sv_buf_printf(err, "%s: %s: ", r->where, argv[0]);
		sv_buf_put_sanitized(err, rep->str ? rep->str : "", rep->str ? rep->len : 0, 200);
		rd.freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

/* A command whose reply is a status (OK, QUEUED); false with the reason
 * in err otherwise. */
static bool rd_status(struct rd_state *r, struct sv_buf *err, int argc, const char **argv,
                      const size_t *lens)
{
	redisReply *rep = rd_cmd(r, err, argc, argv, lens);
	if (!rep)
		return false;
	bool ok = rep->type == REDIS_REPLY_STATUS;
	if (!ok)
		sv_buf_printf(err, "%s: unexpected reply to %s", r->where, argv[0]);
	rd.freeReplyObject(rep);
	return ok;
}

static bool rd_word(struct rd_state *r, struct sv_buf *err, const char *cmd, const char *arg)
{
	const char *argv[2] = {cmd, arg};
	size_t lens[2] = {strlen(cmd), arg ? strlen(arg) : 0};
	return rd_status(r, err, arg ? 2 : 1, argv, lens);
}

/* After a server's error inside WATCH or MULTI: leave the connection as
 * the handle's next call expects it (DISCARD also unwatches). */
static void rd_abort(struct rd_state *r, bool multi)
{
	struct sv_buf ignored = SV_BUF_INIT;
	if (!r->broken)
		rd_word(r, &ignored, multi ? "DISCARD" : "UNWATCH", NULL);
	sv_buf_free(&ignored);
}

/* PREFIX:{USER}:NS:KEY in r->k. */
static void rd_key(struct rd_state *r, const char *ns, const char *key, size_t klen)
{
	sv_buf_reset(&r->k);
	sv_buf_printf(&r->k, "%s:{%s}:%s:", r->base.prefix, r->user, ns);
	sv_buf_append(&r->k, key, klen);
}

/* A value as stored: "m:END" (a mark) or "p:TOKEN:END" (a reservation).
 * false for anything else (then it is treated as ended). */
static bool rd_value(const redisReply *rep, bool *reserved_r, char token[TOKEN_LEN + 1],
                     long long *end_r)
{
	const char *v = rep->str;
	size_t n = rep->len, at = 2;
	unsigned long end;
	if (rep->type != REDIS_REPLY_STRING || n < 3 || v[1] != ':')
		return false;
	*reserved_r = v[0] == 'p';
	if (v[0] == 'p') {
		if (n < 2 + TOKEN_LEN + 2 || v[2 + TOKEN_LEN] != ':')
			return false;
		memcpy(token, v + 2, TOKEN_LEN);
		token[TOKEN_LEN] = '\0';
		at = 2 + TOKEN_LEN + 1;
	} else if (v[0] != 'm') {
		return false;
	}
	if (!parse_uint(v + at, n - at, (unsigned long)LLONG_MAX, &end))
		return false;
	*end_r = (long long)end;
	return true;
}

/* Milliseconds from the caller's now to end, at least 1 (PX 0 is an
 * error; a mark that has ended goes at once). */
static char *rd_px(char buf[24], time_t now, long long end)
{
	long long ms = end > (long long)now ? (end - (long long)now) * 1000 : 1;
	snprintf(buf, 24, "%lld", ms);
	return buf;
}

static enum sv_status rd_check(struct sv_state *st, const char *ns, const char *key, size_t klen,
                               time_t now, bool *seen_r, struct sv_buf *err)
{
	struct rd_state *r = rd_of(st);
	rd_key(r, ns, key, klen);
	const char *argv[2] = {"GET", r->k.p};
	size_t lens[2] = {3, r->k.len};
	redisReply *rep = rd_cmd(r, err, 2, argv, lens);
	if (!rep)
		return SV_TEMPFAIL;
	bool reserved;
	char token[TOKEN_LEN + 1];
	long long end;
	*seen_r = rd_value(rep, &reserved, token, &end) && !reserved && end > (long long)now;
	rd.freeReplyObject(rep);
	return SV_OK;
}

static enum sv_status rd_claim(struct sv_state *st, const char *ns, const char *key, size_t klen,
                               time_t now, enum claim_outcome *out_r, struct sv_buf *err)
{
	struct rd_state *r = rd_of(st);
	char val[TOKEN_LEN + 48], px[24];
	long long lease_end = (long long)now + st->o.claim_lease;
	snprintf(val, sizeof val, "p:%s:%lld", st->token, lease_end);
	snprintf(px, sizeof px, "%llu", (unsigned long long)st->o.claim_lease * 1000 + 1);
	rd_key(r, ns, key, klen);
	/* a few rounds: the key may change between our looks at it */
	for (int round = 0; round < 16; round++) {
		const char *set[6] = {"SET", r->k.p, val, "NX", "PX", px};
		size_t setl[6] = {3, r->k.len, strlen(val), 2, 2, strlen(px)};
		redisReply *rep = rd_cmd(r, err, 6, set, setl);
		if (!rep)
			return SV_TEMPFAIL;
		bool set_ok = rep->type == REDIS_REPLY_STATUS;
		rd.freeReplyObject(rep);
		if (set_ok) {
			*out_r = CLAIM_WON;
			return SV_OK;
		}
		/* taken: look at it, watching it, so that a takeover of an ended
		 * mark or an abandoned reservation happens only if nobody
		 * changed it meanwhile */
		const char *watch[2] = {"WATCH", r->k.p};
		size_t watchl[2] = {5, r->k.len};
		if (!rd_status(r, err, 2, watch, watchl))
			return SV_TEMPFAIL;
		const char *get[2] = {"GET", r->k.p};
		size_t getl[2] = {3, r->k.len};
		rep = rd_cmd(r, err, 2, get, getl);
		if (!rep) {
			rd_abort(r, false);
			return SV_TEMPFAIL;
		}
		bool reserved = false;
		char token[TOKEN_LEN + 1];
		long long end = 0;
		bool gone = rep->type == REDIS_REPLY_NIL;
		bool known = !gone && rd_value(rep, &reserved, token, &end);
		rd.freeReplyObject(rep);
		if (gone || (known && reserved && strcmp(token, st->token) == 0) ||
		    (known && end > (long long)now)) {
			if (!rd_word(r, err, "UNWATCH", NULL))
				return SV_TEMPFAIL;
			if (gone)
				continue;
			if (reserved && strcmp(token, st->token) == 0)
				*out_r = CLAIM_WON;
			else
				*out_r = reserved ? CLAIM_BUSY : CLAIM_SEEN;
			return SV_OK;
		}
		/* ended by the caller's clock, abandoned, or not ours to read */
		if (!rd_word(r, err, "MULTI", NULL)) {
			rd_abort(r, false);
			return SV_TEMPFAIL;
		}
		const char *put[5] = {"SET", r->k.p, val, "PX", px};
		size_t putl[5] = {3, r->k.len, strlen(val), 2, strlen(px)};
		if (!rd_status(r, err, 5, put, putl)) {
			rd_abort(r, true);
			return SV_TEMPFAIL;
		}
		const char *exec[1] = {"EXEC"};
		size_t execl[1] = {4};
		rep = rd_cmd(r, err, 1, exec, execl);
		if (!rep)
			return SV_TEMPFAIL;
		bool done = rep->type == REDIS_REPLY_ARRAY;
		rd.freeReplyObject(rep);
		if (done) {
			*out_r = CLAIM_WON;
			return SV_OK;
		}
	}
	sv_buf_printf(err, "%s: the '%s' key kept changing under the claim", r->where, ns);
	return SV_TEMPFAIL;
}

static enum sv_status rd_commit(struct sv_state *st, struct sv_buf *err)
{
	struct rd_state *r = rd_of(st);
	if (!rd_word(r, err, "MULTI", NULL))
		return SV_TEMPFAIL;
	for (size_t i = 0; i < st->txn.n; i++) {
		struct pending *p = &st->txn.v[i];
		char val[32], px[24];
		snprintf(val, sizeof val, "m:%lld", (long long)p->expires);
		rd_px(px, st->now, (long long)p->expires);
		rd_key(r, p->ns, p->key, p->klen);
		const char *argv[5] = {"SET", r->k.p, val, "PX", px};
		size_t lens[5] = {3, r->k.len, strlen(val), 2, strlen(px)};
		if (!rd_status(r, err, 5, argv, lens)) {
			rd_abort(r, true); /* refused while queueing: abandon the lot */
			return SV_TEMPFAIL;
		}
	}
	const char *exec[1] = {"EXEC"};
	size_t execl[1] = {4};
	redisReply *rep = rd_cmd(r, err, 1, exec, execl);
	if (!rep)
		return SV_TEMPFAIL;
	bool ok = rep->type == REDIS_REPLY_ARRAY && rep->elements == st->txn.n;
	for (size_t i = 0; ok && i < rep->elements; i++)
		ok = rep->element[i]->type == REDIS_REPLY_STATUS;
	rd.freeReplyObject(rep);
	if (!ok) {
		sv_buf_printf(err, "%s: the marks were not all written", r->where);
		return SV_TEMPFAIL;
	}
	return SV_OK;
}

/* Delete each reservation of this handle that is still ours. */
static void rd_release(struct sv_state *st)
{
	struct rd_state *r = rd_of(st);
	struct sv_buf ignored = SV_BUF_INIT;
	for (size_t i = 0; i < st->txn.n && !r->broken; i++) {
		struct pending *p = &st->txn.v[i];
		if (!p->claimed)
			continue;
		rd_key(r, p->ns, p->key, p->klen);
		const char *argv[2] = {"WATCH", r->k.p};
		size_t lens[2] = {5, r->k.len};
		if (!rd_status(r, &ignored, 2, argv, lens))
			break;
		argv[0] = "GET";
		lens[0] = 3;
		redisReply *rep = rd_cmd(r, &ignored, 2, argv, lens);
		if (!rep) {
			rd_abort(r, false);
			break;
		}
		bool reserved = false;
		char token[TOKEN_LEN + 1];
		long long end;
		bool ours = rd_value(rep, &reserved, token, &end) && reserved &&
		            strcmp(token, st->token) == 0;
		rd.freeReplyObject(rep);
		if (!ours) {
			rd_word(r, &ignored, "UNWATCH", NULL);
			continue;
		}
		argv[0] = "DEL";
		lens[0] = 3;
		const char *exec[1] = {"EXEC"};
		size_t execl[1] = {4};
		if (!rd_word(r, &ignored, "MULTI", NULL)) {
			rd_abort(r, false);
			break;
		}
		if (!rd_status(r, &ignored, 2, argv, lens)) {
			rd_abort(r, true);
			break;
		}
		rep = rd_cmd(r, &ignored, 1, exec, execl);
		if (rep)
			rd.freeReplyObject(rep);
	}
	sv_buf_free(&ignored);
}

static void rd_close(struct sv_state *st)
{
	struct rd_state *r = rd_of(st);
	if (r->c)
		rd.redisFree(r->c);
	sv_free(r->where);
	sv_free(r->user);
	sv_buf_free(&r->k);
	base_free(st);
	sv_free(r);
}

static const struct backend rd_backend = {
    rd_check, rd_claim, rd_commit, rd_release, rd_close,
};

/* The user name as a key part: bytes that would make two keys one (':',
 * the braces) or that are awkward in logs, as %XX. */
static char *rd_user(const char *user)
{
	struct sv_buf b = SV_BUF_INIT;
	for (const unsigned char *u = (const unsigned char *)user; *u; u++) {
		if (*u <= ' ' || *u >= 0x7f || *u == ':' || *u == '{' || *u == '}' || *u == '%')
			sv_buf_printf(&b, "%%%02X", *u);
		else
			sv_buf_putc(&b, (char)*u);
	}
	return sv_buf_steal(&b, NULL);
}

static enum sv_status rd_connect(struct rd_state *r, const struct rd_loc *l, struct sv_buf *err)
{
	unsigned ms = r->base.o.timeout_ms ? r->base.o.timeout_ms : 1;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	r->c = l->sock ? rd.redisConnectUnixWithTimeout(l->sock, tv)
	               : rd.redisConnectWithTimeout(l->host, (int)l->port, tv);
	if (!r->c || r->c->err) {
		sv_buf_printf(err, "cannot connect to %s: %s", r->where,
		              r->c ? r->c->errstr : "out of memory");
		return SV_TEMPFAIL;
	}
	if (rd.redisSetTimeout(r->c, tv) != REDIS_OK) {
		sv_buf_printf(err, "%s: cannot set the timeout: %s", r->where, r->c->errstr);
		return SV_TEMPFAIL;
	}
	if (l->password && !rd_word(r, err, "AUTH", l->password))
		return SV_TEMPFAIL;
	if (l->db) {
		char db[24];
		snprintf(db, sizeof db, "%lu", l->db);
		if (!rd_word(r, err, "SELECT", db))
			return SV_TEMPFAIL;
	}
	return SV_OK;
}

static enum sv_status rd_open(const struct rd_loc *l, const struct sv_state_opts *o,
                              struct sv_state **st_r, struct sv_buf *err)
{
	pthread_once(&rd_lib.once, rd_load);
	if (!rd_lib.loaded) {
		sv_buf_puts(err, rd_lib.error);
		return SV_TEMPFAIL;
	}
	struct rd_state *r = sv_calloc(1, sizeof *r);
	base_init(&r->base, &rd_backend, o);
	if (l->prefix) {
		sv_free(r->base.prefix);
		r->base.prefix = sv_strdup(l->prefix);
		r->base.o.prefix = r->base.prefix;
	}
	r->user = rd_user(r->base.user);
	struct sv_buf w = SV_BUF_INIT;
	sv_buf_puts(&w, "redis at ");
	if (l->sock) {
		sv_buf_puts(&w, "unix:");
		sv_buf_put_sanitized(&w, l->sock, strlen(l->sock), 200);
	} else {
		sv_buf_put_sanitized(&w, l->host, strlen(l->host), 200);
		sv_buf_printf(&w, ":%lu", l->port);
	}
	r->where = sv_buf_steal(&w, NULL);
	enum sv_status s = rd_connect(r, l, err);
	if (s != SV_OK) {
		rd_close(&r->base);
		return s;
	}
	*st_r = &r->base;
	return SV_OK;
}

#else /* no hiredis/hiredis.h at build time */

static enum sv_status rd_open(const struct rd_loc *l, const struct sv_state_opts *o,
                              struct sv_state **st_r, struct sv_buf *err)
{
	(void)l, (void)o, (void)st_r;
	sv_buf_puts(err, "sift was built without hiredis (hiredis/hiredis.h)");
	return SV_TEMPFAIL;
}

#endif

/* ---- opening by location ---- */

static enum sv_status open_sqlite(const char *path, const struct sv_state_opts *o,
                                  struct sv_state **st_r, struct sv_buf *err)
{
	size_t n = strlen(path);
	if (path[0] != '/' || path[n - 1] == '/' || n >= PATH_MAX) {
		sv_buf_puts(err, "the sqlite state location needs an absolute file path, not '");
		sv_buf_put_sanitized(err, path, n, 200);
		sv_buf_puts(err, "'");
		return SV_FAIL;
	}
	return sq_open(path, o, st_r, err);
}

static enum sv_status open_redis(const char *rest, const struct sv_state_opts *o,
                                 struct sv_state **st_r, struct sv_buf *err)
{
	if (!o || !o->user || !o->user[0]) {
		sv_buf_puts(err, "a redis state store needs the user's name (every key has it)");
		return SV_FAIL;
	}
	struct rd_loc l = {0};
	enum sv_status s = rd_parse(rest, &l, err);
	if (s == SV_OK)
		s = rd_open(&l, o, st_r, err);
	rd_loc_free(&l);
	return s;
}

enum sv_status sv_dlv_state_open(const char *location, const struct sv_state_opts *o,
                                 struct sv_state **st_r, struct sv_buf *err)
{
	*st_r = NULL;
	if (!location)
		location = "";
	if (strncmp(location, "sqlite:", 7) == 0)
		return open_sqlite(location + 7, o, st_r, err);
	if (strncmp(location, "redis:", 6) == 0)
		return open_redis(location + 6, o, st_r, err);
	if (strncmp(location, "mem:", 4) == 0)
		return mem_open(location + 4, o, st_r, err);
	sv_buf_puts(err, "unknown state location '");
	const char *q = strchr(location, '?'); /* options may hold a password */
	sv_buf_put_sanitized(err, location, q ? (size_t)(q - location) : strlen(location), 120);
	sv_buf_puts(err, "' (sqlite:PATH, redis:HOST:PORT or mem:NAME)");
	return SV_FAIL;
}
