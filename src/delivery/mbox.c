/*
 * mbox.c: the mbox store (../shared/notes/lda.md "mbox delivery"; the
 * mboxrd format of qmail's mbox(5); flags as Dovecot and mutt keep them).
 *
 * A message is appended as "From <sender> <asctime>", its lines with
 * mboxrd escaping (a line matching ^>*From gets one more '>', so reading
 * takes exactly one away), and a blank line. Status: (R for \Seen),
 * X-Status: (A \Answered, F \Flagged, T \Draft, D \Deleted) and
 * X-Keywords: carry the IMAP flags; the same fields arriving in the
 * message, and X-UID, X-IMAPbase, X-IMAP and Content-Length, are dropped
 * (as Dovecot does), so a sender cannot mark its mail read or confuse a
 * reader about where it ends.
 *
 * Locking, as Postfix and Dovecot do: an fcntl write lock first, then the
 * dotlock <file>.lock made with O_EXCL. A dotlock older than lock_timeout
 * is stale and broken; neither lock is waited for longer than
 * lock_timeout (then "4.2.0 mailbox locked", a temporary failure). Where
 * the folder does not let us make a dotlock (EACCES: /var/mail without a
 * privileged group), the fcntl lock alone is kept.
 *
 * The two phases: prepare locks, remembers the size, appends and fsyncs,
 * and keeps the lock; commit unlocks; rollback before commit truncates
 * back to the remembered size. While the lock has been held since a
 * message was written, everything after it is ours, so it can be cut out
 * even when a later message of the same delivery follows. After commit the
 * lock is taken again and the message removed only when the file still
 * ends with it, byte for byte, at the same offset. Any write or fsync
 * error truncates back, unlocks and fails temporarily.
 *
 * Not done yet: NFS-safe dotlocks (link(2) trick), Content-Length (mboxcl2).
 */
#include "delivery/mbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/utf8.h"

/* One mbox file this store has open. fcntl locks belong to the process
 * and go when any descriptor of the file is closed, so every message of
 * a delivery into the same file shares one descriptor. */
struct mfile {
	struct mfile *next;
	char *path, *lockpath;
	int fd;
	unsigned refs;    /* transactions that use it */
	unsigned holders; /* prepared, uncommitted: they hold the lock */
	unsigned epoch;   /* counts the times the lock was taken */
	bool dotlocked;
};

struct sv_store_txn {
	struct sv_store_txn *next; /* the store's live transactions */
	struct mfile *f;
	off_t off;
	size_t len;
	uint64_t hash; /* of the bytes written */
	unsigned epoch;
	bool committed;
};

struct mbox {
	struct sv_store base;
	char *root, *inbox;
	struct sv_store_opts o;
	struct mfile *files;
	struct sv_store_txn *txns;
};

/* ---- names ---- */

static enum sv_status path_of(const struct mbox *mb, const char *mailbox, size_t mlen,
                              struct sv_buf *out, struct sv_buf *err)
{
	sv_buf_reset(out);
	if (sv_ascii_ieq(mailbox, mlen, "INBOX", 5)) {
		sv_buf_puts(out, mb->inbox);
		return SV_OK;
	}
	struct sv_buf name = SV_BUF_INIT;
	enum sv_status st =
	    sv_dlv_mailbox_fsname(mailbox, mlen, mb->o.separator, SV_LAYOUT_FS, &name, err);
	if (st == SV_OK)
		sv_buf_printf(out, "%s/%s", mb->root, name.p);
	sv_buf_free(&name);
	return st;
}

bool sv_dlv_mbox_path(const struct sv_store *s, const char *mailbox, size_t mlen,
                      struct sv_buf *out)
{
	struct sv_buf err = SV_BUF_INIT;
	bool ok = path_of((const struct mbox *)s, mailbox, mlen, out, &err) == SV_OK;
	sv_buf_free(&err);
	return ok;
}

static bool mb_exists(struct sv_store *s, const char *mailbox, size_t mlen)
{
	struct sv_buf p = SV_BUF_INIT;
	struct stat st;
	bool ok =
	    sv_dlv_mbox_path(s, mailbox, mlen, &p) && stat(p.p, &st) == 0 && S_ISREG(st.st_mode);
	sv_buf_free(&p);
	return ok;
}

/* The folders above a mailbox file under root (root/A for root/A/B). */
static enum sv_status make_parents(const struct mbox *mb, const char *path, struct sv_buf *err)
{
	size_t rl = strlen(mb->root);
	if (strncmp(path, mb->root, rl) != 0 || path[rl] != '/')
		return SV_OK; /* the INBOX file: its folder is the admin's */
	struct sv_buf p = SV_BUF_INIT;
	enum sv_status st = SV_OK;
	for (const char *s = path + rl + 1; (s = strchr(s, '/')); s++) {
		sv_buf_reset(&p);
		sv_buf_append(&p, path, (size_t)(s - path));
		if (mkdir(p.p, 0700) != 0 && errno != EEXIST) {
			sv_buf_printf(err, "cannot create %s: %s", p.p, strerror(errno));
			st = errno == ENOTDIR ? SV_FAIL : SV_TEMPFAIL;
			break;
		}
	}
	sv_buf_free(&p);
	return st;
}

/* Open (creating when create) the file of a mailbox, 0600. Mailboxes
 * under root are never followed through a symlink; the INBOX file is
 * where the admin says. */
static int open_mailbox(const struct mbox *mb, const char *path, bool create, bool inbox,
                        struct sv_buf *err, enum sv_status *st_r)
{
	int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0) | (inbox ? 0 : O_NOFOLLOW);
	*st_r = create ? make_parents(mb, path, err) : SV_OK;
	if (*st_r != SV_OK)
		return -1;
	int fd = open(path, flags, 0600);
	struct stat st;
	if (fd < 0) {
		sv_buf_printf(err, "cannot open %s: %s", path, strerror(errno));
		*st_r = errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EISDIR
		            ? SV_FAIL
		            : SV_TEMPFAIL;
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		sv_buf_printf(err, "%s is not a regular file", path);
		close(fd);
		*st_r = SV_FAIL;
		return -1;
	}
	return fd;
}

static enum sv_status mb_create(struct sv_store *s, const char *mailbox, size_t mlen,
                                struct sv_buf *err)
{
	struct mbox *mb = (struct mbox *)s;
	struct sv_buf p = SV_BUF_INIT;
	enum sv_status st = path_of(mb, mailbox, mlen, &p, err);
	if (st == SV_OK) {
		int fd =
		    open_mailbox(mb, p.p, true, sv_ascii_ieq(mailbox, mlen, "INBOX", 5), err, &st);
		if (fd >= 0)
			close(fd);
	}
	sv_buf_free(&p);
	return st;
}

/* ---- locking ---- */

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap(void)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

static void locked_out(struct sv_buf *err, const char *path, const char *which)
{
	sv_buf_printf(err, "4.2.0 mailbox locked (%s lock of %s)", which, path);
}

static void fcntl_unlock(int fd)
{
	struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET};
	fcntl(fd, F_SETLK, &fl);
}

/* The dotlock, with the fcntl lock already held; breaks a stale one. */
static enum sv_status dotlock(struct mbox *mb, struct mfile *f, double deadline, struct sv_buf *err)
{
	for (;;) {
		int fd =
		    open(f->lockpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			char pid[32];
			int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
			ssize_t w = write(fd, pid, (size_t)n);
			(void)w; /* the pid is for people; the file is the lock */
			close(fd);
			f->dotlocked = true;
			return SV_OK;
		}
		if (errno == EACCES || errno == EPERM || errno == EROFS) {
			f->dotlocked = false; /* the fcntl lock alone */
			return SV_OK;
		}
		if (errno != EEXIST) {
			sv_buf_printf(err, "cannot create %s: %s", f->lockpath, strerror(errno));
			return SV_TEMPFAIL;
		}
		struct stat st;
		if (lstat(f->lockpath, &st) == 0 &&
		    (double)st.st_mtime + (double)mb->o.lock_timeout < (double)time(NULL)) {
			unlink(f->lockpath); /* stale: its owner is gone */
			continue;
		}
		if (now_mono() >= deadline) {
			locked_out(err, f->path, "dot");
			return SV_TEMPFAIL;
		}
		nap();
	}
}

static enum sv_status lock_file(struct mbox *mb, struct mfile *f, struct sv_buf *err)
{
	double deadline = now_mono() + (double)mb->o.lock_timeout;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	while (fcntl(f->fd, F_SETLK, &fl) != 0) {
		if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
			sv_buf_printf(err, "cannot lock %s: %s", f->path, strerror(errno));
			return SV_TEMPFAIL;
		}
		if (now_mono() >= deadline) {
			locked_out(err, f->path, "fcntl");
			return SV_TEMPFAIL;
		}
		nap();
	}
	enum sv_status st = dotlock(mb, f, deadline, err);
	if (st != SV_OK) {
		fcntl_unlock(f->fd);
		return st;
	}
	f->epoch++;
	return SV_OK;
}

static void unlock_file(struct mfile *f)
{
	if (f->dotlocked)
		unlink(f->lockpath);
	f->dotlocked = false;
	fcntl_unlock(f->fd);
}

/* ---- the files this store has open ---- */

static struct mfile *file_get(struct mbox *mb, const char *path, bool inbox, bool create,
                              struct sv_buf *err, enum sv_status *st_r)
{
	for (struct mfile *f = mb->files; f; f = f->next)
		if (strcmp(f->path, path) == 0) {
			f->refs++;
			*st_r = SV_OK;
			return f;
		}
	int fd = open_mailbox(mb, path, create, inbox, err, st_r);
	if (fd < 0)
		return NULL;
	struct mfile *f = sv_calloc(1, sizeof *f);
	f->path = sv_strdup(path);
	struct sv_buf lp = SV_BUF_INIT;
	sv_buf_printf(&lp, "%s.lock", path);
	f->lockpath = sv_buf_steal(&lp, NULL);
	f->fd = fd;
	f->refs = 1;
	f->next = mb->files;
	mb->files = f;
	return f;
}

static void file_put(struct mbox *mb, struct mfile *f)
{
	if (--f->refs)
		return;
	if (f->holders)
		unlock_file(f);
	for (struct mfile **pp = &mb->files; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	close(f->fd);
	sv_free(f->path);
	sv_free(f->lockpath);
	sv_free(f);
}

/* ---- the message as it is written ---- */

static uint64_t fnv1a(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL

/* "From sender Www Mmm dd hh:mm:ss yyyy" (asctime's form, local time, with
 * our own names: no locale). Blanks and controls in the sender would end
 * its field, so they become '_'. */
static void put_from_line(struct sv_buf *b, const char *sender, time_t t)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	sv_buf_puts(b, "From ");
	if (!sender || !*sender)
		sender = "MAILER-DAEMON";
	for (const char *s = sender; *s && s - sender < 512; s++)
		sv_buf_putc(b, (unsigned char)*s <= ' ' || *s == 0x7f ? '_' : *s);
	struct tm tm;
	localtime_r(&t, &tm);
	sv_buf_printf(b, " %.3s %.3s %2d %02d:%02d:%02d %d\n", days + 3 * (tm.tm_wday % 7),
	              months + 3 * (tm.tm_mon % 12), tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	              tm.tm_year + 1900);
}

/* Header fields the store writes itself, or that would mislead a reader. */
static bool own_field(const char *line, size_t n)
{
	static const char *const names[] = {"Status",     "X-Status", "X-Keywords",    "X-UID",
	                                    "X-IMAPbase", "X-IMAP",   "Content-Length"};
	const char *colon = memchr(line, ':', n);
	if (!colon)
		return false;
	size_t nl = (size_t)(colon - line);
	while (nl && (line[nl - 1] == ' ' || line[nl - 1] == '\t'))
		nl--;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (sv_ascii_ieq(line, nl, names[i], strlen(names[i])))
			return true;
	return false;
}

static void put_flag_fields(struct sv_buf *b, const char *const *flags, size_t nflags)
{
	static const struct {
		const char *name;
		char letter;
		bool status; /* Status: rather than X-Status: */
	} map[] = {{"\\Seen", 'R', true},
	           {"\\Answered", 'A', false},
	           {"\\Flagged", 'F', false},
	           {"\\Draft", 'T', false},
	           {"\\Deleted", 'D', false}};
	struct sv_buf status = SV_BUF_INIT, xstatus = SV_BUF_INIT, kw = SV_BUF_INIT;
	/* letters in the table's order, whatever order the script gave */
	for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
		for (size_t i = 0; i < nflags; i++)
			if (sv_ascii_ieqz(flags[i], map[k].name)) {
				sv_buf_putc(map[k].status ? &status : &xstatus, map[k].letter);
				break;
			}
	for (size_t i = 0; i < nflags; i++) {
		const char *f = flags[i];
		/* keywords are IMAP atoms: anything else would break the field */
		bool atom = f[0] != '\\' && f[0] != '\0';
		for (const char *p = f; atom && *p; p++)
			if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
				atom = false;
		if (atom) {
			sv_buf_putc(&kw, ' ');
			sv_buf_puts(&kw, f);
		}
	}
	if (status.len)
		sv_buf_printf(b, "Status: %s\n", status.p);
	if (xstatus.len)
		sv_buf_printf(b, "X-Status: %s\n", xstatus.p);
	if (kw.len)
		sv_buf_printf(b, "X-Keywords:%s\n", kw.p);
	sv_buf_free(&status);
	sv_buf_free(&xstatus);
	sv_buf_free(&kw);
}

static bool is_from_line(const char *p, size_t n)
{
	while (n && *p == '>') {
		p++;
		n--;
	}
	return n >= 5 && memcmp(p, "From ", 5) == 0;
}

/* The From line, the header without our fields plus the flag fields, the
 * rest, every ^>*From line with one more '>', a final newline and the
 * blank line that ends an mbox message. */
static void render(const struct sv_store *s, const char *msg, size_t len, const char *const *flags,
                   size_t nflags, struct sv_buf *b)
{
	put_from_line(b, s->env_sender, s->env_time ? s->env_time : time(NULL));
	bool header = true, skipping = false;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(msg + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (msg + i)) + 1 : len - i;
		const char *line = msg + i;
		i += n;
		if (header) {
			bool blank =
			    line[0] == '\n' || (n >= 2 && line[0] == '\r' && line[1] == '\n');
			bool cont = line[0] == ' ' || line[0] == '\t';
			if (blank) {
				header = false;
				put_flag_fields(b, flags, nflags);
			} else if (cont ? skipping : (skipping = own_field(line, n))) {
				continue;
			}
		}
		if (is_from_line(line, n))
			sv_buf_putc(b, '>');
		sv_buf_append(b, line, n);
		if (!nl)
			sv_buf_putc(b, '\n');
	}
	if (header)
		put_flag_fields(b, flags, nflags);
	sv_buf_putc(b, '\n');
}

/* ---- the two phases ---- */

static bool pwrite_all(int fd, const char *p, size_t n, off_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return true;
}

static bool pread_all(int fd, char *p, size_t n, off_t off)
{
	while (n) {
		ssize_t r = pread(fd, p, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return true;
}

/* A message follows a blank line: what to put before ours when the file
 * does not end with one (written by something less careful). */
static const char *gap_before(int fd, off_t size)
{
	if (size == 0)
		return "";
	char tail[2] = {'\n', '\n'};
	size_t n = size >= 2 ? 2 : 1;
	if (!pread_all(fd, tail + 2 - n, n, size - (off_t)n))
		return "\n\n";
	if (tail[1] != '\n')
		return "\n\n";
	return tail[0] != '\n' ? "\n" : "";
}

static enum sv_status mb_prepare(struct sv_store *s, const char *mailbox, size_t mlen,
                                 const char *msg, size_t len, const char *const *flags,
                                 size_t nflags, struct sv_store_txn **tx_r, struct sv_buf *err)
{
	struct mbox *mb = (struct mbox *)s;
	*tx_r = NULL;
	struct sv_buf path = SV_BUF_INIT, data = SV_BUF_INIT;
	enum sv_status st = path_of(mb, mailbox, mlen, &path, err);
	if (st != SV_OK)
		goto out;
	bool inbox = sv_ascii_ieq(mailbox, mlen, "INBOX", 5);
	if (!inbox && !mb->o.autocreate && !mb_exists(s, mailbox, mlen)) {
		sv_buf_puts(err, "mailbox '");
		sv_buf_put_sanitized(err, mailbox, mlen, 128);
		sv_buf_puts(err, "' does not exist");
		st = SV_FAIL;
		goto out;
	}
	struct mfile *f = file_get(mb, path.p, inbox, true, err, &st);
	if (!f)
		goto out;
	if (f->holders == 0 && (st = lock_file(mb, f, err)) != SV_OK) {
		file_put(mb, f);
		goto out;
	}
	f->holders++;
	struct stat sb = {.st_size = -1};
	bool ok = fstat(f->fd, &sb) == 0;
	if (ok) {
		sv_buf_puts(&data, gap_before(f->fd, sb.st_size));
		render(s, msg, len, flags, nflags, &data);
		ok = pwrite_all(f->fd, data.p, data.len, sb.st_size) && fsync(f->fd) == 0;
	}
	if (!ok) {
		sv_buf_printf(err, "cannot write %s: %s", f->path, strerror(errno));
		if (sb.st_size >= 0 && ftruncate(f->fd, sb.st_size) == 0)
			fsync(f->fd);
		if (--f->holders == 0)
			unlock_file(f);
		file_put(mb, f);
		st = SV_TEMPFAIL;
		goto out;
	}
	struct sv_store_txn *tx = sv_calloc(1, sizeof *tx);
	tx->f = f;
	tx->off = sb.st_size;
	tx->len = data.len;
	tx->hash = fnv1a(FNV_INIT, data.p, data.len);
	tx->epoch = f->epoch;
	tx->next = mb->txns;
	mb->txns = tx;
	*tx_r = tx;
out:
	sv_buf_free(&path);
	sv_buf_free(&data);
	return st;
}

static enum sv_status mb_commit(struct sv_store *s, struct sv_store_txn *tx, struct sv_buf *err)
{
	(void)s;
	(void)err;
	/* written and fsynced at prepare: letting others see it is unlocking */
	tx->committed = true;
	if (--tx->f->holders == 0)
		unlock_file(tx->f);
	return SV_OK;
}

/* Do the bytes of tx still stand where it wrote them? */
static bool still_there(const struct sv_store_txn *tx)
{
	char chunk[8192];
	uint64_t h = FNV_INIT;
	for (size_t done = 0; done < tx->len;) {
		size_t n = tx->len - done < sizeof chunk ? tx->len - done : sizeof chunk;
		if (!pread_all(tx->f->fd, chunk, n, tx->off + (off_t)done))
			return false;
		h = fnv1a(h, chunk, n);
		done += n;
	}
	return h == tx->hash;
}

/* Cut tx's bytes out of its file, the lock held. When only our own
 * messages can follow (continuous: the lock was held since tx wrote),
 * the ones after it move down; otherwise only a message at the very end
 * is removed. */
static void cut(struct mbox *mb, struct sv_store_txn *tx, bool continuous)
{
	struct mfile *f = tx->f;
	struct stat sb;
	if (fstat(f->fd, &sb) != 0 || !still_there(tx))
		return;
	off_t end = tx->off + (off_t)tx->len;
	if (end != sb.st_size) {
		if (!continuous || end > sb.st_size)
			return;
		char chunk[8192];
		for (off_t from = end; from < sb.st_size;) {
			size_t n = (size_t)(sb.st_size - from) < sizeof chunk
			               ? (size_t)(sb.st_size - from)
			               : sizeof chunk;
			if (!pread_all(f->fd, chunk, n, from) ||
			    !pwrite_all(f->fd, chunk, n, from - (off_t)tx->len))
				return;
			from += (off_t)n;
		}
		for (struct sv_store_txn *t = mb->txns; t; t = t->next)
			if (t->f == f && t->off > tx->off)
				t->off -= (off_t)tx->len;
	}
	if (ftruncate(f->fd, sb.st_size - (off_t)tx->len) == 0)
		fsync(f->fd);
}

static void txn_drop(struct mbox *mb, struct sv_store_txn *tx)
{
	for (struct sv_store_txn **pp = &mb->txns; *pp; pp = &(*pp)->next)
		if (*pp == tx) {
			*pp = tx->next;
			break;
		}
	file_put(mb, tx->f);
	sv_free(tx);
}

static void mb_rollback(struct sv_store *s, struct sv_store_txn *tx)
{
	struct mbox *mb = (struct mbox *)s;
	if (!tx)
		return;
	struct mfile *f = tx->f;
	if (!tx->committed) {
		cut(mb, tx, tx->epoch == f->epoch);
		if (--f->holders == 0)
			unlock_file(f);
	} else if (f->holders) {
		/* still locked for another message of ours */
		cut(mb, tx, tx->epoch == f->epoch);
	} else {
		struct sv_buf err = SV_BUF_INIT;
		if (lock_file(mb, f, &err) == SV_OK) {
			cut(mb, tx, false);
			unlock_file(f);
		}
		sv_buf_free(&err); /* nothing to tell: the message stays */
	}
	txn_drop(mb, tx);
}

static void mb_release(struct sv_store *s, struct sv_store_txn *tx)
{
	if (!tx)
		return;
	if (!tx->committed) {
		mb_rollback(s, tx); /* given up without commit */
		return;
	}
	txn_drop((struct mbox *)s, tx);
}

static void mb_close(struct sv_store *s)
{
	struct mbox *mb = (struct mbox *)s;
	if (!mb)
		return;
	while (mb->txns)
		mb_release(s, mb->txns);
	sv_free(mb->root);
	sv_free(mb->inbox);
	sv_free(mb);
}

enum sv_status sv_dlv_mbox_open(const char *root, const char *inbox, const struct sv_store_opts *o,
                                struct sv_store **store_r, struct sv_buf *err)
{
	*store_r = NULL;
	struct sv_store_opts opts;
	enum sv_status st = sv_store_opts_copy(o, &opts, err);
	if (st != SV_OK)
		return st;
	if (mkdir(root, 0700) != 0 && errno != EEXIST) {
		sv_buf_printf(err, "cannot create %s: %s", root, strerror(errno));
		return SV_TEMPFAIL;
	}
	struct mbox *mb = sv_calloc(1, sizeof *mb);
	mb->base.prepare = mb_prepare;
	mb->base.commit = mb_commit;
	mb->base.rollback = mb_rollback;
	mb->base.release = mb_release;
	mb->base.create = mb_create;
	mb->base.exists = mb_exists;
	mb->base.close = mb_close;
	mb->root = sv_strdup(root);
	mb->inbox = sv_strdup(inbox);
	mb->o = opts;
	mb->o.hostname = NULL;
	*store_r = &mb->base;
	return SV_OK;
}

/* ---- reading back (test suite, tools) ---- */

/* The whole file of a mailbox; false when it cannot be read. */
static bool slurp(struct sv_store *s, const char *mailbox, size_t mlen, struct sv_buf *out)
{
	struct sv_buf p = SV_BUF_INIT;
	bool ok = sv_dlv_mbox_path(s, mailbox, mlen, &p);
	int fd = ok ? open(p.p, O_RDONLY | O_CLOEXEC) : -1;
	sv_buf_free(&p);
	if (fd < 0)
		return false;
	char chunk[8192];
	ssize_t r;
	while ((r = read(fd, chunk, sizeof chunk)) > 0 || (r < 0 && errno == EINTR))
		if (r > 0)
			sv_buf_append(out, chunk, (size_t)r);
	close(fd);
	return true;
}

/* Start of each message: a "From " line at the start of the file or of a
 * line (mboxrd escapes every other). */
static size_t message_starts(const char *p, size_t n, size_t *v, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		if (n - i >= 5 && memcmp(p + i, "From ", 5) == 0) {
			if (k < cap)
				v[k] = i;
			k++;
		}
		const char *nl = memchr(p + i, '\n', n - i);
		if (!nl)
			break;
		i = (size_t)(nl - p) + 1;
	}
	return k;
}

size_t sv_dlv_mbox_count(struct sv_store *s, const char *mailbox, size_t mlen)
{
	struct sv_buf data = SV_BUF_INIT;
	size_t n = slurp(s, mailbox, mlen, &data) ? message_starts(data.p, data.len, NULL, 0) : 0;
	sv_buf_free(&data);
	return n;
}

/* The flags of our fields, in the order Maildir reads them back. */
static void flags_of(const char *status, const char *xstatus, const char *kw, struct sv_buf *out)
{
	static const struct {
		char letter;
		bool status;
		const char *name;
	} map[] = {{'T', false, "\\Draft"},
	           {'F', false, "\\Flagged"},
	           {'A', false, "\\Answered"},
	           {'R', true, "\\Seen"},
	           {'D', false, "\\Deleted"}};
	for (size_t k = 0; k < sizeof map / sizeof map[0]; k++) {
		if (!strchr(map[k].status ? status : xstatus, map[k].letter))
			continue;
		if (out->len)
			sv_buf_putc(out, ' ');
		sv_buf_puts(out, map[k].name);
	}
	for (const char *p = kw; *p;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n) {
			if (out->len)
				sv_buf_putc(out, ' ');
			sv_buf_append(out, p, n);
		}
		p += n;
	}
}

/* One stored message back as it was filed: the From line off, the blank
 * line that ends it off, one '>' off each ^>+From line, our fields out of
 * the header (their flags into flags_r). */
static void unrender(const char *p, size_t n, struct sv_buf *out, struct sv_buf *flags_r,
                     struct sv_buf *from_r)
{
	const char *nl = memchr(p, '\n', n);
	size_t fl = nl ? (size_t)(nl - p) + 1 : n;
	if (from_r)
		sv_buf_append(from_r, p + 5, fl - 5 - (nl != NULL));
	p += fl;
	n -= fl;
	if (n && p[n - 1] == '\n')
		n--;
	char status[16] = "", xstatus[16] = "";
	struct sv_buf kw = SV_BUF_INIT;
	bool header = true;
	for (size_t i = 0; i < n;) {
		const char *e = memchr(p + i, '\n', n - i);
		size_t ll = e ? (size_t)(e - (p + i)) + 1 : n - i;
		const char *line = p + i;
		i += ll;
		if (header && (line[0] == '\n' || (ll >= 2 && line[0] == '\r' && line[1] == '\n')))
			header = false;
		size_t vl = ll - (e != NULL);
		if (header && vl >= 8 && memcmp(line, "Status: ", 8) == 0) {
			snprintf(status, sizeof status, "%.*s", (int)(vl - 8), line + 8);
			continue;
		}
		if (header && vl >= 10 && memcmp(line, "X-Status: ", 10) == 0) {
			snprintf(xstatus, sizeof xstatus, "%.*s", (int)(vl - 10), line + 10);
			continue;
		}
		if (header && vl >= 11 && memcmp(line, "X-Keywords:", 11) == 0) {
			sv_buf_append(&kw, line + 11, vl - 11);
			continue;
		}
		if (line[0] == '>' && is_from_line(line, ll)) {
			line++;
			ll--;
		}
		sv_buf_append(out, line, ll);
	}
	if (flags_r)
		flags_of(status, xstatus, kw.p ? kw.p : "", flags_r);
	sv_buf_free(&kw);
}

enum sv_status sv_dlv_mbox_read(struct sv_store *s, const char *mailbox, size_t mlen, size_t n,
                                struct sv_buf *out, struct sv_buf *flags_r, struct sv_buf *from_r,
                                struct sv_buf *err)
{
	struct sv_buf data = SV_BUF_INIT;
	size_t *v = NULL, count = 0;
	if (slurp(s, mailbox, mlen, &data)) {
		count = message_starts(data.p, data.len, NULL, 0);
		v = sv_malloc((count + 1) * sizeof *v);
		message_starts(data.p, data.len, v, count);
	}
	enum sv_status st = SV_OK;
	if (n >= count) {
		sv_buf_puts(err, "mailbox '");
		sv_buf_put_sanitized(err, mailbox, mlen, 128);
		sv_buf_printf(err, "' has no message %zu", n);
		st = SV_FAIL;
	} else {
		size_t end = n + 1 < count ? v[n + 1] : data.len;
		unrender(data.p + v[n], end - v[n], out, flags_r, from_r);
	}
	sv_free(v);
	sv_buf_free(&data);
	return st;
}
