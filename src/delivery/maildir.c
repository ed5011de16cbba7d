/*
 * maildir.c: the Maildir store (Maildir++ folders, as Dovecot and Courier
 * lay them out). Delivery keeps the Maildir rules (OpenSMTPD
 * mail.maildir, STYLE.md, ../shared/notes/lda.md) with one change that
 * makes them stronger: the message is written into an unnamed file in the
 * folder's tmp/ (O_TMPFILE), fsynced, and given its unique name
 * "<time>.M<usec>P<pid>Q<seq>.<host>,S=<size>,W=<size with CRLF>" in new/
 * (or in cur/ with the ":2," info suffix when it has flags) by a link that
 * fails when the name exists, then the folder is fsynced. Nobody ever sees
 * a partial file, and a crash leaves nothing in tmp/. Where the system has
 * no O_TMPFILE (or no /proc to link by), it is the classic way: a named
 * file in tmp/ opened with O_EXCL (mode 0600), renamed into new/.
 *
 * The fsyncs are batched over a delivery: prepare writes, flush syncs the
 * files, commit links, sync syncs each folder that got an entry once. The
 * same message filed into several folders is one file with a name in
 * each (when the caller says it is the same, through msg_version): one
 * write and one file fsync however many folders.
 *
 * System flags map to the info letters (D, F, R, S, T); keywords get
 * letters a-z through the folder's dovecot-keywords file, as Dovecot does,
 * so IMAP servers see them. More than 26 keywords in one folder are
 * dropped.
 *
 * Mailbox names: "A.B" (separator '.') or "A/B" (separator '/') is the
 * folder .A.B/ (0700, with an empty maildirfolder file), each level in IMAP
 * modified UTF-7; under '.', a '/' separates levels too; under '/', a '.'
 * inside a level is refused, since Maildir++ could not tell "A.B" from
 * "A/B" on disk (sv_dlv_mailbox_fsname has every rule).
 *
 * Quota: Maildir++ (Courier's maildirquota conventions, as Dovecot's
 * "maildir" quota back-end keeps them). The root's maildirsize holds the
 * limit on its first line ("<bytes>S,<messages>C") and one "<bytes>
 * <count>" line per change; the usage is their sum. The limit comes from
 * the options, else from the file. The file is rebuilt by scanning every
 * folder when it is missing (and a limit is configured), when its limit
 * differs from the configured one, when it grew past 5120 bytes, or when
 * the mailbox looks over quota and the file is older than 15 minutes.
 * Commit appends one line with a single O_APPEND write; a rollback after
 * commit appends the negative line.
 *
 * Not done yet: dropping privileges (the LDA does that before it opens
 * the store); a message larger than the whole quota is not told apart
 * from one that would fit once mail is deleted.
 */
#include "delivery/maildir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/utf8.h"

struct maildir {
	struct sv_store base;
	char *root;
	struct sv_store_opts o; /* hostname NULL: host has it */
	char *host;             /* escaped for file names */
	unsigned seq;
	/* prepared and not yet committed: counted against the quota */
	uint64_t pending_bytes, pending_count;
	/* written and not yet flushed */
	struct sv_store_txn **unflushed;
	size_t nunflushed, unflushed_cap;
	/* folders (new/, cur/) that got an entry since the last sync */
	char **dirty;
	size_t ndirty, dirty_cap;
	/* the copy the next prepare of the same message shares */
	struct sv_store_txn *last;
	unsigned last_version;
	size_t last_len;
	int tmpfile; /* unnamed files: 1 work, -1 do not, 0 not known yet */
	/* the message staged before the script ran (md_stage): an unnamed
	   file in the root's tmp/ whose writeback has started */
	int stage_fd; /* -1: none */
	dev_t stage_dev;
	unsigned stage_version;
	size_t stage_len;
};

/* folder names on disk */
static enum sv_status folder_of(const struct maildir *md, const char *mailbox, size_t mlen,
                                struct sv_buf *out, struct sv_buf *err)
{
	sv_buf_reset(out);
	sv_buf_puts(out, md->root);
	if (sv_ascii_ieq(mailbox, mlen, "INBOX", 5))
		return SV_OK;
	struct sv_buf name = SV_BUF_INIT;
	enum sv_status st =
	    sv_dlv_mailbox_fsname(mailbox, mlen, md->o.separator, SV_LAYOUT_MAILDIRPP, &name, err);
	if (st == SV_OK) {
		sv_buf_puts(out, "/.");
		sv_buf_append(out, name.p, name.len);
	}
	sv_buf_free(&name);
	return st;
}

bool sv_dlv_maildir_name_valid(const char *name, size_t len)
{
	struct sv_buf out = SV_BUF_INIT, err = SV_BUF_INIT;
	bool ok = sv_dlv_mailbox_fsname(name, len, '.', SV_LAYOUT_MAILDIRPP, &out, &err) == SV_OK;
	sv_buf_free(&out);
	sv_buf_free(&err);
	return ok;
}

bool sv_dlv_maildir_path(const struct sv_store *s, const char *mailbox, size_t mlen,
                         struct sv_buf *out)
{
	struct sv_buf err = SV_BUF_INIT;
	bool ok = folder_of((const struct maildir *)s, mailbox, mlen, out, &err) == SV_OK;
	sv_buf_free(&err);
	return ok;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* folder, folder/cur, folder/new, folder/tmp, 0700; a subfolder gets the
 * empty maildirfolder file that marks a Maildir++ mailbox */
static int sync_parent(const char *path);

/* A folder refused for good (its owner closed it; a read-only file
 * system) is not worth a retry: the message goes to INBOX instead. */
static enum sv_status errno_status(int e)
{
	return e == EACCES || e == EPERM || e == EROFS ? SV_FAIL : SV_TEMPFAIL;
}

/* folder, folder/tmp, folder/cur, maildirfolder, then folder/new: new/ is
 * what md_exists looks for, so a concurrent delivery that sees it finds
 * the rest in place. */
static enum sv_status make_maildir(const char *folder, bool subfolder, struct sv_buf *err)
{
	static const char *const subs[] = {"", "/tmp", "/cur", NULL, "/new"};
	struct sv_buf p = SV_BUF_INIT;
	enum sv_status st = SV_OK;
	bool made = false;
	for (size_t i = 0; i < 5 && st == SV_OK; i++) {
		sv_buf_reset(&p);
		if (!subs[i]) {
			if (!subfolder)
				continue;
			sv_buf_printf(&p, "%s/maildirfolder", folder);
			int fd = open(p.p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
			if (fd < 0) {
				sv_buf_printf(err, "cannot create %s: %s", p.p, strerror(errno));
				st = errno_status(errno);
			} else {
				close(fd);
			}
			continue;
		}
		sv_buf_printf(&p, "%s%s", folder, subs[i]);
		if (mkdir(p.p, 0700) == 0) {
			made = true;
		} else if (errno != EEXIST) {
			sv_buf_printf(err, "cannot create %s: %s", p.p, strerror(errno));
			st = errno_status(errno);
		}
	}
	/* a folder made now must survive a crash with the message filed into
	   it: its entries and its own name are made durable (the message's
	   rename only syncs new/) */
	if (st == SV_OK && made) {
		sv_buf_reset(&p);
		sv_buf_printf(&p, "%s/new", folder);
		if (sync_parent(p.p) != 0 || sync_parent(folder) != 0) {
			sv_buf_printf(err, "cannot sync %s: %s", folder, strerror(errno));
			st = SV_TEMPFAIL;
		}
	}
	sv_buf_free(&p);
	return st;
}

static bool md_exists(struct sv_store *s, const char *mailbox, size_t mlen)
{
	struct sv_buf p = SV_BUF_INIT;
	bool ok = sv_dlv_maildir_path(s, mailbox, mlen, &p);
	if (ok) {
		sv_buf_puts(&p, "/new");
		ok = is_dir(p.p);
	}
	sv_buf_free(&p);
	return ok;
}

static enum sv_status md_create(struct sv_store *s, const char *mailbox, size_t mlen,
                                struct sv_buf *err)
{
	struct sv_buf p = SV_BUF_INIT;
	enum sv_status st = folder_of((struct maildir *)s, mailbox, mlen, &p, err);
	if (st == SV_OK)
		st = make_maildir(p.p, !sv_ascii_ieq(mailbox, mlen, "INBOX", 5), err);
	sv_buf_free(&p);
	return st;
}

/* The letter of a keyword from folder/dovecot-keywords ("N name" lines),
 * adding it when new; 0 when the 26 letters are used up. */
static char keyword_letter(const char *folder, const char *kw)
{
	struct sv_buf path = SV_BUF_INIT;
	sv_buf_printf(&path, "%s/dovecot-keywords", folder);
	FILE *f = fopen(path.p, "r");
	char line[512];
	int next = 0;
	char found = 0;
	if (f) {
		while (fgets(line, sizeof line, f)) {
			char *sp = strchr(line, ' ');
			if (!sp)
				continue;
			int idx = atoi(line);
			sp++;
			sp[strcspn(sp, "\n")] = '\0';
			if (idx >= 0 && idx < 26 && strcmp(sp, kw) == 0)
				found = (char)('a' + idx);
			if (idx + 1 > next)
				next = idx + 1;
		}
		fclose(f);
	}
	if (!found && next < 26 && strlen(kw) < 400 && !strpbrk(kw, "\n\r")) {
		/* 0600 like every file of the store, not fopen's 0666 */
		int fd = open(path.p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		f = fd >= 0 ? fdopen(fd, "a") : NULL;
		if (fd >= 0 && !f)
			close(fd);
		if (f) {
			fprintf(f, "%d %s\n", next, kw);
			if (fclose(f) == 0)
				found = (char)('a' + next);
		}
	}
	sv_buf_free(&path);
	return found;
}

static char system_flag(const char *f)
{
	static const struct {
		const char *name;
		char letter;
	} map[] = {{"\\Draft", 'D'},
	           {"\\Flagged", 'F'},
	           {"\\Answered", 'R'},
	           {"\\Seen", 'S'},
	           {"\\Deleted", 'T'}};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (sv_ascii_ieqz(f, map[i].name))
			return map[i].letter;
	return 0;
}

static int cmp_char(const void *a, const void *b)
{
	return *(const char *)a - *(const char *)b;
}

static enum sv_status write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return SV_TEMPFAIL;
		}
		p += w;
		len -= (size_t)w;
	}
	return SV_OK;
}

/* One message prepared for a folder: an unnamed file made in tmp/ with
 * O_TMPFILE (no name anybody could see until commit links it into new/,
 * and nothing left behind by a crash), or, where the system has no
 * O_TMPFILE or no /proc, a named file in tmp/ renamed at commit. */
struct sv_store_txn {
	char *tmp;      /* the named file in tmp/; NULL: unnamed */
	char *dir;      /* the folder's new/ or cur/ */
	char *dst;      /* dir/unique name[:2,info] */
	char info[40];  /* the flag letters */
	size_t bytes, wbytes;
	int fd;         /* unnamed: open until freed; named: until flushed */
	dev_t dev;      /* the file system of its folder */
	bool flushed;   /* its data is durable */
	bool committed;
	bool quota;     /* maildirsize gets a line at commit */
};

/* The folder of a mailbox, made when missing and autocreate is on, and
 * the file system it is on (*dev_r: copies are shared only within one). */
static enum sv_status open_folder(struct maildir *md, const char *mailbox, size_t mlen,
                                  struct sv_buf *folder, dev_t *dev_r, struct sv_buf *err)
{
	enum sv_status st = folder_of(md, mailbox, mlen, folder, err);
	if (st != SV_OK)
		return st;
	struct sv_buf nd = SV_BUF_INIT;
	sv_buf_printf(&nd, "%s/new", folder->p);
	struct stat sb;
	bool there = stat(nd.p, &sb) == 0 && S_ISDIR(sb.st_mode);
	if (!there && !md->o.autocreate) {
		sv_buf_puts(err, "mailbox '");
		sv_buf_put_sanitized(err, mailbox, mlen, 128);
		sv_buf_puts(err, "' does not exist");
		st = SV_FAIL;
	} else if (!there) {
		st = make_maildir(folder->p, !sv_ascii_ieq(mailbox, mlen, "INBOX", 5), err);
		if (st == SV_OK && stat(nd.p, &sb) != 0) {
			sv_buf_printf(err, "cannot stat %s: %s", nd.p, strerror(errno));
			st = SV_TEMPFAIL;
		}
	}
	if (st == SV_OK)
		*dev_r = sb.st_dev;
	sv_buf_free(&nd);
	return st;
}

/* The info suffix of the flags: their letters, sorted (Maildir "2,"). */
static size_t info_letters(const char *folder, const char *const *flags, size_t nflags, char *info,
                           size_t cap)
{
	size_t ni = 0;
	for (size_t i = 0; i < nflags && ni < cap - 1; i++) {
		char c =
		    flags[i][0] == '\\' ? system_flag(flags[i]) : keyword_letter(folder, flags[i]);
		if (c && !memchr(info, c, ni))
			info[ni++] = c;
	}
	qsort(info, ni, 1, cmp_char);
	info[ni] = '\0';
	return ni;
}

/* Dovecot's W=: the size the message has with CRLF line ends (IMAP's
 * RFC822.SIZE), counting the LFs that have no CR before them. */
static size_t crlf_size(const char *msg, size_t len)
{
	size_t n = len;
	for (const char *p = msg; (p = memchr(p, '\n', len - (size_t)(p - msg))); p++)
		if (p == msg || p[-1] != '\r')
			n++;
	return n;
}

/* A unique Maildir name, "<sec>.M<usec>P<pid>Q<seq>.<host>,S=<bytes>,W=<wbytes>",
 * into out after prefix. */
static void unique_name(struct maildir *md, const char *prefix, size_t bytes, size_t wbytes,
                        struct sv_buf *out)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	sv_buf_reset(out);
	sv_buf_printf(out, "%s%lld.M%06ldP%ldQ%u.%s,S=%zu,W=%zu", prefix, (long long)tv.tv_sec,
	              (long)tv.tv_usec, (long)getpid(), ++md->seq, md->host, bytes, wbytes);
}

/* A unique name in tmp/, opened with O_EXCL (Maildir's rule). */
static int open_unique(struct maildir *md, const char *folder, size_t bytes, size_t wbytes,
                       struct sv_buf *tmp)
{
	struct sv_buf prefix = SV_BUF_INIT;
	sv_buf_printf(&prefix, "%s/tmp/", folder);
	int fd = -1;
	for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
		unique_name(md, prefix.p, bytes, wbytes, tmp);
		fd = open(tmp->p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	sv_buf_free(&prefix);
	return fd;
}

/* Make a rename durable: fsync the folder that holds the new entry. */
/* fsync a folder (its entries); errno set when it fails */
static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

static int sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return 0;
	char *dir = sv_strndup(path, (size_t)(slash - path));
	int rc = fsync_dir(dir);
	sv_free(dir);
	return rc;
}

static void forget_unflushed(struct maildir *md, struct sv_store_txn *tx)
{
	for (size_t i = 0; i < md->nunflushed; i++)
		if (md->unflushed[i] == tx) {
			md->unflushed[i] = md->unflushed[--md->nunflushed];
			break;
		}
}

static void txn_free(struct maildir *md, struct sv_store_txn *tx)
{
	if (tx->fd >= 0)
		close(tx->fd);
	forget_unflushed(md, tx);
	if (md->last == tx)
		md->last = NULL;
	sv_free(tx->tmp);
	sv_free(tx->dir);
	sv_free(tx->dst);
	sv_free(tx);
}

/* fsync one written file (a named one is closed then: its rename needs
 * only the name) */
static enum sv_status flush_one(struct maildir *md, struct sv_store_txn *tx, struct sv_buf *err)
{
	int rc = fsync(tx->fd);
	int e = errno;
	if (tx->tmp) {
		if (close(tx->fd) != 0 && rc == 0) {
			rc = -1;
			e = errno;
		}
		tx->fd = -1;
	}
	tx->flushed = true;
	forget_unflushed(md, tx);
	if (rc != 0) {
		if (tx->tmp)
			sv_buf_printf(err, "cannot write %s: %s", tx->tmp, strerror(e));
		else
			sv_buf_printf(err, "cannot write the message for %s: %s", tx->dir, strerror(e));
		return SV_TEMPFAIL;
	}
	return SV_OK;
}

/* Every written file synced once: copies that share a file (the same
 * message in several folders) cost one fsync. */
static enum sv_status md_flush(struct sv_store *s, struct sv_buf *err)
{
	struct maildir *md = (struct maildir *)s;
	struct file_id {
		dev_t dev;
		ino_t ino;
	} *done = sv_malloc((md->nunflushed + 1) * sizeof *done);
	size_t ndone = 0;
	enum sv_status st = SV_OK;
	struct sv_buf more = SV_BUF_INIT; /* the first failure is the one told */
	while (md->nunflushed) {
		struct sv_store_txn *tx = md->unflushed[md->nunflushed - 1];
		struct stat sb;
		bool again = false;
		if (!tx->tmp && fstat(tx->fd, &sb) == 0) {
			for (size_t i = 0; i < ndone && !again; i++)
				again = done[i].dev == sb.st_dev && done[i].ino == sb.st_ino;
			if (!again)
				done[ndone++] = (struct file_id){sb.st_dev, sb.st_ino};
		}
		if (again) {
			tx->flushed = true;
			forget_unflushed(md, tx);
			continue;
		}
		enum sv_status one = flush_one(md, tx, st == SV_OK ? err : &more);
		if (st == SV_OK)
			st = one;
	}
	sv_buf_free(&more);
	sv_free(done);
	return st;
}

/* the folder an entry went into, to be synced once */
static void mark_dirty(struct maildir *md, const char *dir)
{
	for (size_t i = 0; i < md->ndirty; i++)
		if (strcmp(md->dirty[i], dir) == 0)
			return;
	if (md->ndirty == md->dirty_cap) {
		md->dirty_cap = md->dirty_cap ? 2 * md->dirty_cap : 4;
		md->dirty = sv_realloc(md->dirty, md->dirty_cap * sizeof *md->dirty);
	}
	md->dirty[md->ndirty++] = sv_strdup(dir);
}

static enum sv_status md_sync(struct sv_store *s, struct sv_buf *err)
{
	struct maildir *md = (struct maildir *)s;
	enum sv_status st = SV_OK;
	for (size_t i = 0; i < md->ndirty; i++) {
		if (fsync_dir(md->dirty[i]) != 0 && st == SV_OK) {
			sv_buf_printf(err, "cannot sync %s: %s", md->dirty[i], strerror(errno));
			st = SV_TEMPFAIL;
		}
		sv_free(md->dirty[i]);
	}
	md->ndirty = 0;
	return st;
}

/* ---- Maildir++ quota (maildirsize) ---- */

struct quota_limit {
	uint64_t bytes, count; /* 0: no limit of that kind */
};

struct quota_usage {
	int64_t bytes, count;
};

#define QUOTA_REBUILD_SIZE 5120     /* Maildir++: rebuild a maildirsize this big */
#define QUOTA_REBUILD_AGE (15 * 60) /* ... or this old when over quota */

/* "<n>S,<n>C" (either part, in any order; an empty line: no limit) */
static bool parse_limit(const char *p, const char *end, struct quota_limit *l)
{
	*l = (struct quota_limit){0, 0};
	while (p < end) {
		uint64_t v = 0;
		const char *d = p;
		while (p < end && sv_ascii_isdigit((unsigned char)*p) && v < UINT64_MAX / 10)
			v = v * 10 + (uint64_t)(*p++ - '0');
		if (p == d || p == end)
			return false;
		if (*p == 'S')
			l->bytes = v;
		else if (*p == 'C')
			l->count = v;
		else
			return false;
		p++;
		if (p < end && *p++ != ',')
			return false;
	}
	return true;
}

static void put_limit(struct sv_buf *b, const struct quota_limit *l)
{
	if (l->bytes)
		sv_buf_printf(b, "%" PRIu64 "S", l->bytes);
	if (l->count)
		sv_buf_printf(b, "%s%" PRIu64 "C", l->bytes ? "," : "", l->count);
}

/* One "<bytes> <count>" line (signed, space-padded as Courier writes). */
static bool parse_usage(const char *p, const char *end, struct quota_usage *u)
{
	int64_t v[2];
	for (int k = 0; k < 2; k++) {
		while (p < end && *p == ' ')
			p++;
		bool neg = p < end && *p == '-';
		p += neg;
		const char *d = p;
		int64_t x = 0;
		while (p < end && sv_ascii_isdigit((unsigned char)*p) && x < INT64_MAX / 10)
			x = x * 10 + (*p++ - '0');
		if (p == d || (p < end && *p != ' '))
			return false;
		v[k] = neg ? -x : x;
	}
	while (p < end && *p == ' ')
		p++;
	if (p != end)
		return false;
	u->bytes += v[0];
	u->count += v[1];
	return true;
}

/* What maildirsize says. */
struct quota_file {
	bool exists, valid; /* valid: every line parsed */
	bool limit_ok;      /* the first line parsed */
	struct quota_limit limit;
	struct quota_usage used;
	off_t size;
	time_t mtime;
};

static void read_maildirsize(const char *path, struct quota_file *q)
{
	memset(q, 0, sizeof *q);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	q->exists = true;
	q->size = st.st_size;
	q->mtime = st.st_mtime;
	struct sv_buf data = SV_BUF_INIT;
	char chunk[4096];
	ssize_t r;
	/* more than 64 KiB is not a maildirsize anyone should sum: rebuild */
	while (data.len <= 65536 &&
	       ((r = read(fd, chunk, sizeof chunk)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0)
			sv_buf_append(&data, chunk, (size_t)r);
	close(fd);
	q->valid = data.len > 0 && data.len <= 65536 && data.p[data.len - 1] == '\n';
	const char *p = data.p, *end = data.p + data.len;
	for (size_t line = 0; q->valid && p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (line == 0)
			q->valid = q->limit_ok = parse_limit(p, nl, &q->limit);
		else
			q->valid = nl == p || parse_usage(p, nl, &q->used);
		p = nl + 1;
	}
	sv_buf_free(&data);
}

/* The size of one message file: its S= when the name has one. */
static int64_t message_size(const char *dir, const char *name)
{
	const char *s = strstr(name, ",S=");
	if (s && sv_ascii_isdigit((unsigned char)s[3]))
		return strtoll(s + 3, NULL, 10);
	struct sv_buf p = SV_BUF_INIT;
	sv_buf_printf(&p, "%s/%s", dir, name);
	struct stat st;
	int64_t n = stat(p.p, &st) == 0 ? (int64_t)st.st_size : 0;
	sv_buf_free(&p);
	return n;
}

/* Call fn for every message file of a folder: new/ then cur/, names that
 * start with '.' skipped (the one scan of a folder's messages). */
static void each_message(const char *folder,
                         void (*fn)(void *ctx, const char *dir, const char *name, bool cur),
                         void *ctx)
{
	struct sv_buf p = SV_BUF_INIT;
	for (int cur = 0; cur < 2; cur++) {
		sv_buf_reset(&p);
		sv_buf_printf(&p, "%s/%s", folder, cur ? "cur" : "new");
		DIR *d = opendir(p.p);
		if (!d)
			continue;
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				fn(ctx, p.p, e->d_name, cur);
		closedir(d);
	}
	sv_buf_free(&p);
}

static void count_one(void *ctx, const char *dir, const char *name, bool cur)
{
	struct quota_usage *u = ctx;
	(void)cur;
	u->bytes += message_size(dir, name);
	u->count++;
}

static void count_folder(const char *folder, struct quota_usage *u)
{
	each_message(folder, count_one, u);
}

/* Scan every folder and write a new maildirsize (through tmp/ and a
 * rename, so readers see the old file or the new one). A file that cannot
 * be written is left for the next delivery: the usage counted here is
 * still right for this one. */
static void rebuild_quota(struct maildir *md, const struct quota_limit *l, struct quota_usage *u)
{
	*u = (struct quota_usage){0, 0};
	count_folder(md->root, u);
	DIR *d = opendir(md->root);
	struct sv_buf p = SV_BUF_INIT;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] != '.' || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sv_buf_reset(&p);
		sv_buf_printf(&p, "%s/%s", md->root, e->d_name);
		if (is_dir(p.p))
			count_folder(p.p, u);
	}
	if (d)
		closedir(d);
	struct sv_buf body = SV_BUF_INIT, tmp = SV_BUF_INIT;
	put_limit(&body, l);
	sv_buf_printf(&body, "\n%" PRId64 " %" PRId64 "\n", u->bytes, u->count);
	int fd = open_unique(md, md->root, body.len, body.len, &tmp);
	if (fd >= 0) {
		bool ok = write_all(fd, body.p, body.len) == SV_OK && fsync(fd) == 0;
		ok = close(fd) == 0 && ok;
		sv_buf_reset(&p);
		sv_buf_printf(&p, "%s/maildirsize", md->root);
		if (!ok || rename(tmp.p, p.p) != 0)
			unlink(tmp.p);
	}
	sv_buf_free(&p);
	sv_buf_free(&body);
	sv_buf_free(&tmp);
}

static bool over_limit(const struct quota_limit *l, const struct quota_usage *u, uint64_t bytes,
                       uint64_t count)
{
	int64_t b = u->bytes > 0 ? u->bytes : 0, c = u->count > 0 ? u->count : 0;
	return (l->bytes && (uint64_t)b + bytes > l->bytes) ||
	       (l->count && (uint64_t)c + count > l->count);
}

/* May bytes more (on top of what this store has prepared) be delivered?
 * *active_r: a quota applies, so commit records the message. */
static enum sv_status quota_check(struct maildir *md, size_t bytes, bool *active_r,
                                  struct sv_buf *err)
{
	*active_r = false;
	struct quota_limit want = {md->o.quota_bytes, md->o.quota_messages};
	bool configured = want.bytes || want.count;
	struct sv_buf path = SV_BUF_INIT;
	sv_buf_printf(&path, "%s/maildirsize", md->root);
	struct quota_file q;
	read_maildirsize(path.p, &q);
	sv_buf_free(&path);
	struct quota_limit lim = want;
	if (!configured) {
		/* the file's limit; a file without a readable one sets none */
		if (!q.exists || !q.limit_ok)
			return SV_OK;
		lim = q.limit;
	}
	if (!lim.bytes && !lim.count)
		return SV_OK;
	bool fresh = false;
	if (!q.exists || !q.valid || q.size > QUOTA_REBUILD_SIZE ||
	    (configured && (q.limit.bytes != want.bytes || q.limit.count != want.count))) {
		rebuild_quota(md, &lim, &q.used);
		fresh = true;
	}
	*active_r = true;
	uint64_t more_bytes = md->pending_bytes + bytes, more_count = md->pending_count + 1;
	bool over = over_limit(&lim, &q.used, more_bytes, more_count);
	if (over && !fresh && time(NULL) - q.mtime > QUOTA_REBUILD_AGE) {
		/* mail may have been deleted since: count again */
		rebuild_quota(md, &lim, &q.used);
		over = over_limit(&lim, &q.used, more_bytes, more_count);
	}
	if (!over)
		return SV_OK;
	if (md->o.over_quota == SV_QUOTA_REJECT) {
		sv_buf_puts(err, "5.2.2 Mailbox is full");
		return SV_LIMIT;
	}
	sv_buf_puts(err, "4.2.2 Mailbox is full");
	return SV_TEMPFAIL;
}

/* One change of the usage, as one line appended with one write (Maildir++:
 * concurrent deliveries append without locking). A maildirsize that has
 * gone is not made again here: the next delivery rebuilds it. */
static void quota_record(struct maildir *md, int64_t bytes, int64_t count)
{
	struct sv_buf path = SV_BUF_INIT, line = SV_BUF_INIT;
	sv_buf_printf(&path, "%s/maildirsize", md->root);
	sv_buf_printf(&line, "%" PRId64 " %" PRId64 "\n", bytes, count);
	int fd = open(path.p, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		ssize_t w = write(fd, line.p, line.len);
		(void)w; /* a lost line is corrected by the next rebuild */
		close(fd);
	}
	sv_buf_free(&path);
	sv_buf_free(&line);
}

/* ---- the two phases ---- */

/* Can this system make unnamed files and link them by their descriptor?
 * Asked once per store. */
static bool tmpfile_works(struct maildir *md)
{
	if (md->tmpfile == 0)
		md->tmpfile = access("/proc/self/fd", X_OK) == 0 ? 1 : -1;
	return md->tmpfile > 0;
}

/* Write msg into a file in folder/tmp/ (unnamed when the system allows):
 * the named file's path in tx->tmp, the descriptor in tx->fd. */
static enum sv_status write_message(struct maildir *md, const char *folder, const char *msg,
                                    size_t len, struct sv_store_txn *tx, struct sv_buf *err)
{
	struct sv_buf path = SV_BUF_INIT;
	int fd = -1;
	if (tmpfile_works(md)) {
		sv_buf_printf(&path, "%s/tmp", folder);
		fd = open(path.p, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0 && (errno == EISDIR || errno == EOPNOTSUPP || errno == EINVAL)) {
			md->tmpfile = -1; /* not on this file system: named files */
			sv_buf_reset(&path);
		}
	}
	if (fd < 0 && !path.len)
		fd = open_unique(md, folder, len, tx->wbytes, &path);
	if (fd < 0) {
		int e = errno;
		sv_buf_printf(err, "cannot create a file in %s/tmp: %s", folder, strerror(e));
		sv_buf_free(&path);
		return errno_status(e);
	}
	if (md->tmpfile < 0)
		tx->tmp = sv_buf_steal(&path, NULL);
	sv_buf_free(&path);
	enum sv_status st = write_all(fd, msg, len);
	if (st != SV_OK) {
		sv_buf_printf(err, "cannot write a file in %s/tmp: %s", folder, strerror(errno));
		close(fd);
		if (tx->tmp)
			unlink(tx->tmp);
		return st;
	}
	tx->fd = fd;
	return SV_OK;
}

/* The unnamed file of the same message (its version and length as this
 * one's) written before, shared: the staged one, or the one an earlier
 * prepare wrote. tx->fd set (and tx->flushed when that file is durable
 * already), or nothing. */
static void share_message(struct maildir *md, size_t len, struct sv_store_txn *tx)
{
	unsigned v = md->base.msg_version;
	if (!v)
		return;
	const struct sv_store_txn *src = md->last;
	/* a link cannot cross file systems (a folder may be a symbolic link
	   to another one) */
	if (md->stage_fd >= 0 && md->stage_version == v && md->stage_len == len &&
	    md->stage_dev == tx->dev) {
		tx->fd = fcntl(md->stage_fd, F_DUPFD_CLOEXEC, 0);
	} else if (src && !src->tmp && src->fd >= 0 && md->last_version == v &&
	           md->last_len == len && src->dev == tx->dev) {
		tx->fd = fcntl(src->fd, F_DUPFD_CLOEXEC, 0);
		tx->flushed = tx->fd >= 0 && src->flushed;
	}
}

/* Write the message into an unnamed file in the root's tmp/ and start its
 * writeback, while the script decides where it goes (store.h): flush then
 * waits for less. Only where unnamed files work: a named file would be
 * left behind when no folder takes it. (An fsync in a thread of its own,
 * tried too, made deliveries slower: starting the thread costs more than
 * it saves on two cores.) */
static void md_stage(struct sv_store *s, const char *msg, size_t len, unsigned version)
{
	struct maildir *md = (struct maildir *)s;
	if (md->stage_fd >= 0 || !version || !tmpfile_works(md))
		return;
	struct sv_buf path = SV_BUF_INIT;
	sv_buf_printf(&path, "%s/tmp", md->root);
	int fd = open(path.p, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	sv_buf_free(&path);
	if (fd < 0) {
		if (errno == EISDIR || errno == EOPNOTSUPP || errno == EINVAL)
			md->tmpfile = -1;
		return;
	}
	if (write_all(fd, msg, len) != SV_OK) {
		close(fd); /* prepare will say why */
		return;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return;
	}
	md->stage_fd = fd;
	md->stage_dev = sb.st_dev;
	md->stage_version = version;
	md->stage_len = len;
	sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* a hint: errors come at flush */
}

/* A new unique name for tx in its folder (at prepare, and again when the
 * name was taken meanwhile). */
static void name_txn(struct maildir *md, struct sv_store_txn *tx)
{
	struct sv_buf b = SV_BUF_INIT, prefix = SV_BUF_INIT;
	sv_buf_printf(&prefix, "%s/", tx->dir);
	unique_name(md, prefix.p, tx->bytes, tx->wbytes, &b);
	if (tx->info[0])
		sv_buf_printf(&b, ":2,%s", tx->info);
	sv_free(tx->dst);
	tx->dst = sv_buf_steal(&b, NULL);
	sv_buf_free(&prefix);
}

static enum sv_status md_prepare(struct sv_store *s, const char *mailbox, size_t mlen,
                                 const char *msg, size_t len, const char *const *flags,
                                 size_t nflags, struct sv_store_txn **tx_r, struct sv_buf *err)
{
	struct maildir *md = (struct maildir *)s;
	struct sv_buf folder = SV_BUF_INIT, dir = SV_BUF_INIT;
	*tx_r = NULL;
	bool quota = false;
	struct sv_store_txn *tx = sv_calloc(1, sizeof *tx);
	tx->fd = -1;
	tx->bytes = len;
	tx->wbytes = crlf_size(msg, len);
	size_t ni = 0;
	enum sv_status st = open_folder(md, mailbox, mlen, &folder, &tx->dev, err);
	if (st == SV_OK) {
		ni = info_letters(folder.p, flags, nflags, tx->info, sizeof tx->info);
		sv_buf_printf(&dir, "%s/%s", folder.p, ni ? "cur" : "new");
		tx->dir = sv_buf_steal(&dir, NULL);
		/* a folder its owner closed is refused now, while INBOX can
		   still take the message, not at commit, where it could only
		   be retried */
		if (faccessat(AT_FDCWD, tx->dir, W_OK | X_OK, AT_EACCESS) != 0) {
			int e = errno;
			sv_buf_printf(err, "cannot file into %s: %s", tx->dir, strerror(e));
			st = errno_status(e);
		}
	}
	if (st == SV_OK)
		st = quota_check(md, len, &quota, err);
	if (st == SV_OK) {
		share_message(md, len, tx);
		if (tx->fd < 0)
			st = write_message(md, folder.p, msg, len, tx, err);
	}
	if (st != SV_OK) {
		txn_free(md, tx);
		goto out;
	}
	if (tx->tmp) {
		/* the name in tmp/, in new/ or cur/ */
		struct sv_buf b = SV_BUF_INIT;
		sv_buf_printf(&b, "%s%s", tx->dir, strrchr(tx->tmp, '/'));
		if (ni)
			sv_buf_printf(&b, ":2,%s", tx->info);
		tx->dst = sv_buf_steal(&b, NULL);
	} else {
		name_txn(md, tx);
	}
	tx->quota = quota;
	md->pending_bytes += len;
	md->pending_count++;
	if (!tx->flushed) {
		if (md->nunflushed == md->unflushed_cap) {
			md->unflushed_cap = md->unflushed_cap ? 2 * md->unflushed_cap : 4;
			md->unflushed =
			    sv_realloc(md->unflushed, md->unflushed_cap * sizeof *md->unflushed);
		}
		md->unflushed[md->nunflushed++] = tx;
	}
	if (!md->last || md->last_version != s->msg_version || md->last_len != len) {
		md->last = tx;
		md->last_version = s->msg_version;
		md->last_len = len;
	}
	*tx_r = tx;
out:
	sv_buf_free(&folder);
	sv_buf_free(&dir);
	return st;
}

static void unpend(struct maildir *md, const struct sv_store_txn *tx)
{
	md->pending_bytes -= tx->bytes;
	md->pending_count--;
}

/* Give the unnamed file its name in new/ or cur/ (O_EXCL-like: a name
 * taken meanwhile gets a new one). */
static int link_in(struct maildir *md, struct sv_store_txn *tx)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", tx->fd);
	for (int attempt = 0; attempt < 100; attempt++) {
		if (linkat(AT_FDCWD, proc, AT_FDCWD, tx->dst, AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
		name_txn(md, tx);
	}
	errno = EEXIST;
	return -1;
}

static enum sv_status md_commit(struct sv_store *s, struct sv_store_txn *tx, struct sv_buf *err)
{
	struct maildir *md = (struct maildir *)s;
	/* never a file in new/ that a crash could leave empty */
	if (!tx->flushed && flush_one(md, tx, err) != SV_OK)
		return SV_TEMPFAIL;
	if (tx->tmp ? rename(tx->tmp, tx->dst) != 0 : link_in(md, tx) != 0) {
		sv_buf_printf(err, "cannot %s %s: %s", tx->tmp ? "rename" : "link", tx->dst,
		              strerror(errno));
		return SV_TEMPFAIL;
	}
	tx->committed = true;
	unpend(md, tx);
	if (tx->quota)
		quota_record(md, (int64_t)tx->bytes, 1);
	mark_dirty(md, tx->dir);
	return SV_OK;
}

static void md_rollback(struct sv_store *s, struct sv_store_txn *tx)
{
	struct maildir *md = (struct maildir *)s;
	if (!tx)
		return;
	/* a committed message is taken back too: the MTA retries the whole
	   delivery, which must then find nothing of this attempt (an unnamed
	   file not committed goes with its descriptor) */
	if (!tx->committed) {
		if (tx->tmp)
			unlink(tx->tmp);
		unpend(md, tx);
	} else if (unlink(tx->dst) == 0 && tx->quota) {
		quota_record(md, -(int64_t)tx->bytes, -1);
	}
	txn_free(md, tx);
}

static void md_release(struct sv_store *s, struct sv_store_txn *tx)
{
	if (!tx)
		return;
	if (!tx->committed) {
		/* released without commit: the caller gave it up */
		if (tx->tmp)
			unlink(tx->tmp);
		unpend((struct maildir *)s, tx);
	}
	txn_free((struct maildir *)s, tx);
}

static void md_close(struct sv_store *s)
{
	struct maildir *md = (struct maildir *)s;
	if (!md)
		return;
	if (md->stage_fd >= 0)
		close(md->stage_fd);
	/* a caller that committed without syncing: best effort */
	struct sv_buf ignored = SV_BUF_INIT;
	md_sync(s, &ignored);
	sv_buf_free(&ignored);
	sv_free(md->dirty);
	sv_free(md->unflushed);
	sv_free(md->root);
	sv_free(md->host);
	sv_free(md);
}

/* The host part of unique names: '/' and ':' would break the path and the
 * info suffix, so they are written as \057 and \072 (the Maildir rule). */
static char *escaped_host(const char *configured)
{
	char host[256];
	if (configured)
		snprintf(host, sizeof host, "%s", configured);
	else if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	struct sv_buf b = SV_BUF_INIT;
	for (const char *h = host; *h; h++) {
		if (*h == '/')
			sv_buf_puts(&b, "\\057");
		else if (*h == ':')
			sv_buf_puts(&b, "\\072");
		else
			sv_buf_putc(&b, *h);
	}
	if (!b.len)
		sv_buf_puts(&b, "localhost");
	return sv_buf_steal(&b, NULL);
}

enum sv_status sv_dlv_maildir_open_opts(const char *root, const struct sv_store_opts *o,
                                        struct sv_store **store_r, struct sv_buf *err)
{
	*store_r = NULL;
	struct sv_store_opts opts;
	enum sv_status st = sv_store_opts_copy(o, &opts, err);
	struct sv_buf newdir = SV_BUF_INIT;
	sv_buf_printf(&newdir, "%s/new", root);
	/* new/ is made last: when it is there, so is the rest */
	if (st == SV_OK && !is_dir(newdir.p))
		st = make_maildir(root, false, err);
	sv_buf_free(&newdir);
	if (st != SV_OK)
		return st;
	struct maildir *md = sv_calloc(1, sizeof *md);
	md->base.prepare = md_prepare;
	md->base.commit = md_commit;
	md->base.flush = md_flush;
	md->base.sync = md_sync;
	md->base.rollback = md_rollback;
	md->base.release = md_release;
	md->base.create = md_create;
	md->base.exists = md_exists;
	md->base.close = md_close;
	md->root = sv_strdup(root);
	md->o = opts;
	md->host = escaped_host(opts.hostname);
	md->o.hostname = NULL;
	md->tmpfile = opts.named_tmp_files ? -1 : 0;
	md->stage_fd = -1;
	md->base.stage = md_stage;
	*store_r = &md->base;
	return SV_OK;
}

enum sv_status sv_dlv_maildir_open(const char *root, bool autocreate, struct sv_store **store_r,
                                   struct sv_buf *err)
{
	struct sv_store_opts o;
	sv_store_opts_init(&o);
	o.autocreate = autocreate;
	return sv_dlv_maildir_open_opts(root, &o, store_r, err);
}

/* ---- reading back (test suite, tools) ---- */

struct entry {
	char *name;
	bool cur;
};

static int cmp_entry(const void *a, const void *b)
{
	return strverscmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

struct entries {
	struct entry *v;
	size_t n, cap;
};

static void add_entry(void *ctx, const char *dir, const char *name, bool cur)
{
	struct entries *es = ctx;
	(void)dir;
	if (es->n == es->cap) {
		es->cap = es->cap ? es->cap * 2 : 16;
		es->v = sv_realloc(es->v, es->cap * sizeof *es->v);
	}
	es->v[es->n].name = sv_strdup(name);
	es->v[es->n].cur = cur;
	es->n++;
}

static size_t list_messages(struct sv_store *s, const char *mailbox, size_t mlen,
                            struct sv_buf *folder, struct entry **v_r)
{
	*v_r = NULL;
	if (!sv_dlv_maildir_path(s, mailbox, mlen, folder))
		return 0;
	struct entries es = {NULL, 0, 0};
	each_message(folder->p, add_entry, &es);
	if (es.n)
		qsort(es.v, es.n, sizeof *es.v, cmp_entry);
	*v_r = es.v;
	return es.n;
}

static void free_entries(struct entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sv_free(v[i].name);
	sv_free(v);
}

size_t sv_dlv_maildir_count(struct sv_store *s, const char *mailbox, size_t mlen)
{
	struct sv_buf folder = SV_BUF_INIT;
	struct entry *v;
	size_t n = list_messages(s, mailbox, mlen, &folder, &v);
	free_entries(v, n);
	sv_buf_free(&folder);
	return n;
}

/* Flags of an info suffix, keywords through dovecot-keywords. */
static void info_flags(const char *folder, const char *info, struct sv_buf *out)
{
	static const struct {
		char letter;
		const char *name;
	} map[] = {{'D', "\\Draft"},
	           {'F', "\\Flagged"},
	           {'R', "\\Answered"},
	           {'S', "\\Seen"},
	           {'T', "\\Deleted"}};
	for (const char *p = info; *p; p++) {
		const char *name = NULL;
		for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
			if (map[i].letter == *p)
				name = map[i].name;
		char kw[512];
		if (!name && *p >= 'a' && *p <= 'z') {
			struct sv_buf path = SV_BUF_INIT;
			sv_buf_printf(&path, "%s/dovecot-keywords", folder);
			FILE *f = fopen(path.p, "r");
			sv_buf_free(&path);
			char line[512];
			while (f && !name && fgets(line, sizeof line, f)) {
				char *sp = strchr(line, ' ');
				if (sp && atoi(line) == *p - 'a') {
					sp[strcspn(sp, "\n")] = '\0';
					snprintf(kw, sizeof kw, "%s", sp + 1);
					name = kw;
				}
			}
			if (f)
				fclose(f);
		}
		if (name) {
			if (out->len)
				sv_buf_putc(out, ' ');
			sv_buf_puts(out, name);
		}
	}
}

enum sv_status sv_dlv_maildir_read(struct sv_store *s, const char *mailbox, size_t mlen, size_t n,
                                   struct sv_buf *out, struct sv_buf *flags_r, struct sv_buf *err)
{
	struct sv_buf folder = SV_BUF_INIT, p = SV_BUF_INIT;
	struct entry *v;
	size_t count = list_messages(s, mailbox, mlen, &folder, &v);
	enum sv_status st = SV_OK;
	if (n >= count) {
		sv_buf_puts(err, "mailbox '");
		sv_buf_put_sanitized(err, mailbox, mlen, 128);
		sv_buf_printf(err, "' has no message %zu", n);
		st = SV_FAIL;
		goto out;
	}
	sv_buf_printf(&p, "%s/%s/%s", folder.p, v[n].cur ? "cur" : "new", v[n].name);
	int fd = open(p.p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sv_buf_printf(err, "cannot open %s: %s", p.p, strerror(errno));
		st = SV_TEMPFAIL;
		goto out;
	}
	char chunk[8192];
	ssize_t r;
	while ((r = read(fd, chunk, sizeof chunk)) > 0 || (r < 0 && errno == EINTR))
		if (r > 0)
			sv_buf_append(out, chunk, (size_t)r);
	close(fd);
	if (flags_r) {
		const char *info = strstr(v[n].name, ":2,");
		if (info)
			info_flags(folder.p, info + 3, flags_r);
	}
out:
	free_entries(v, count);
	sv_buf_free(&folder);
	sv_buf_free(&p);
	return st;
}
