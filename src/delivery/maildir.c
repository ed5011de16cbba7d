/*
 * maildir.c: the Maildir store (Maildir++ folders, as Dovecot and Courier
 * lay them out). Delivery follows the Maildir rules (OpenSMTPD
 * mail.maildir, STYLE.md): a unique name in tmp/ opened with O_EXCL,
 * write, fsync, rename into new/ (or cur/ with the ":2," info suffix when
 * the message has flags). System flags map to the info letters (D, F, R,
 * S, T); keywords get letters a-z through the folder's dovecot-keywords
 * file, as Dovecot does, so IMAP servers see them. More than 26 keywords
 * in one folder are dropped.
 *
 * Not done yet: quotas, dropping privileges (the LDA does that before it
 * opens the store), mbox.
 */
#include "delivery/maildir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/utf8.h"

struct maildir {
	struct sv_store base;
	char *root;
	bool autocreate;
	unsigned seq;
};

bool sv_dlv_maildir_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > 512)
		return false;
	if (name[0] == '/' || name[0] == '.' || name[len - 1] == '/' || name[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f)
			return false;
		bool sep = c == '/' || c == '.';
		/* an empty level, "..", "./", "/." */
		if (sep && i + 1 < len && (name[i + 1] == '/' || name[i + 1] == '.'))
			return false;
		/* hidden files and cur/new/tmp could clash: levels never start
		 * with '~' either (Maildir++ keeps them free of path tricks) */
	}
	return true;
}

bool sv_dlv_maildir_path(const struct sv_store *s, const char *mailbox, size_t mlen,
                         struct sv_buf *out)
{
	const struct maildir *md = (const struct maildir *)s;
	sv_buf_reset(out);
	sv_buf_puts(out, md->root);
	if (sv_ascii_ieq(mailbox, mlen, "INBOX", 5))
		return true;
	if (!sv_dlv_maildir_name_valid(mailbox, mlen))
		return false;
	sv_buf_puts(out, "/.");
	for (size_t i = 0; i < mlen; i++)
		sv_buf_putc(out, mailbox[i] == '/' ? '.' : mailbox[i]);
	return true;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* folder, folder/cur, folder/new, folder/tmp */
static enum sv_status make_maildir(const char *folder, bool subfolder, struct sv_buf *err)
{
	static const char *const subs[] = {"", "/cur", "/new", "/tmp"};
	struct sv_buf p = SV_BUF_INIT;
	enum sv_status st = SV_OK;
	for (size_t i = 0; i < 4 && st == SV_OK; i++) {
		sv_buf_reset(&p);
		sv_buf_printf(&p, "%s%s", folder, subs[i]);
		if (mkdir(p.p, 0700) != 0 && errno != EEXIST) {
			sv_buf_printf(err, "cannot create %s: %s", p.p, strerror(errno));
			st = SV_TEMPFAIL;
		}
	}
	if (st == SV_OK && subfolder) {
		/* Maildir++: marks a folder as a mailbox */
		sv_buf_reset(&p);
		sv_buf_printf(&p, "%s/maildirfolder", folder);
		int fd = open(p.p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
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

static void bad_name(struct sv_buf *err, const char *mailbox, size_t mlen)
{
	sv_buf_puts(err, "invalid mailbox name '");
	sv_buf_put_sanitized(err, mailbox, mlen, 128);
	sv_buf_putc(err, '\'');
}

static enum sv_status md_create(struct sv_store *s, const char *mailbox, size_t mlen,
                                struct sv_buf *err)
{
	struct sv_buf p = SV_BUF_INIT;
	enum sv_status st;
	if (!sv_dlv_maildir_path(s, mailbox, mlen, &p)) {
		bad_name(err, mailbox, mlen);
		st = SV_FAIL;
	} else {
		st = make_maildir(p.p, !sv_ascii_ieq(mailbox, mlen, "INBOX", 5), err);
	}
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
		f = fopen(path.p, "a");
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

/* One message written and fsynced into tmp/, waiting for its rename. */
struct sv_store_txn {
	char *tmp, *dst;
	bool committed;
};

/* The folder of a mailbox, made when missing and autocreate is on. */
static enum sv_status open_folder(struct maildir *md, const char *mailbox, size_t mlen,
                                  struct sv_buf *folder, struct sv_buf *err)
{
	if (!sv_dlv_maildir_path(&md->base, mailbox, mlen, folder)) {
		bad_name(err, mailbox, mlen);
		return SV_FAIL;
	}
	if (md_exists(&md->base, mailbox, mlen))
		return SV_OK;
	if (!md->autocreate) {
		sv_buf_puts(err, "mailbox '");
		sv_buf_put_sanitized(err, mailbox, mlen, 128);
		sv_buf_puts(err, "' does not exist");
		return SV_FAIL;
	}
	return md_create(&md->base, mailbox, mlen, err);
}

/* The info suffix of the flags: their letters, sorted (Maildir "2,"). */
static size_t info_letters(const char *folder, const char *const *flags, size_t nflags,
                           char *info, size_t cap)
{
	size_t ni = 0;
	for (size_t i = 0; i < nflags && ni < cap - 1; i++) {
		char c = flags[i][0] == '\\' ? system_flag(flags[i]) : keyword_letter(folder, flags[i]);
		if (c && !memchr(info, c, ni))
			info[ni++] = c;
	}
	qsort(info, ni, 1, cmp_char);
	info[ni] = '\0';
	return ni;
}

/* A unique name in tmp/, opened with O_EXCL (Maildir's rule). */
static int open_unique(struct maildir *md, const char *folder, struct sv_buf *tmp)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	char host[64];
	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	for (char *h = host; *h; h++)
		if (*h == '/' || *h == ':')
			*h = '_';
	int fd = -1;
	for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
		sv_buf_reset(tmp);
		sv_buf_printf(tmp, "%s/tmp/%lld.M%06ldP%ldQ%u.%s", folder, (long long)tv.tv_sec,
		              (long)tv.tv_usec, (long)getpid(), ++md->seq, host);
		fd = open(tmp->p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	return fd;
}

/* Make a rename durable: fsync the folder that holds the new entry. */
static int sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return 0;
	char *dir = sv_strndup(path, (size_t)(slash - path));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sv_free(dir);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static void txn_free(struct sv_store_txn *tx)
{
	sv_free(tx->tmp);
	sv_free(tx->dst);
	sv_free(tx);
}

static enum sv_status md_prepare(struct sv_store *s, const char *mailbox, size_t mlen,
                                 const char *msg, size_t len, const char *const *flags,
                                 size_t nflags, struct sv_store_txn **tx_r, struct sv_buf *err)
{
	struct maildir *md = (struct maildir *)s;
	struct sv_buf folder = SV_BUF_INIT, tmp = SV_BUF_INIT, dst = SV_BUF_INIT;
	*tx_r = NULL;
	enum sv_status st = open_folder(md, mailbox, mlen, &folder, err);
	if (st != SV_OK)
		goto out;
	char info[40];
	size_t ni = info_letters(folder.p, flags, nflags, info, sizeof info);
	int fd = open_unique(md, folder.p, &tmp);
	if (fd < 0) {
		sv_buf_printf(err, "cannot create %s: %s", tmp.p, strerror(errno));
		st = SV_TEMPFAIL;
		goto out;
	}
	st = write_all(fd, msg, len);
	if (st == SV_OK && fsync(fd) != 0)
		st = SV_TEMPFAIL;
	int saved = errno;
	if (close(fd) != 0 && st == SV_OK) {
		saved = errno;
		st = SV_TEMPFAIL;
	}
	if (st != SV_OK) {
		sv_buf_printf(err, "cannot write %s: %s", tmp.p, strerror(saved));
		unlink(tmp.p);
		goto out;
	}
	const char *base = strrchr(tmp.p, '/') + 1;
	if (ni)
		sv_buf_printf(&dst, "%s/cur/%s:2,%s", folder.p, base, info);
	else
		sv_buf_printf(&dst, "%s/new/%s", folder.p, base);
	struct sv_store_txn *tx = sv_calloc(1, sizeof *tx);
	tx->tmp = sv_buf_steal(&tmp, NULL);
	tx->dst = sv_buf_steal(&dst, NULL);
	*tx_r = tx;
out:
	sv_buf_free(&folder);
	sv_buf_free(&tmp);
	sv_buf_free(&dst);
	return st;
}

static enum sv_status md_commit(struct sv_store *s, struct sv_store_txn *tx, struct sv_buf *err)
{
	(void)s;
	if (rename(tx->tmp, tx->dst) != 0) {
		sv_buf_printf(err, "cannot rename %s: %s", tx->tmp, strerror(errno));
		return SV_TEMPFAIL;
	}
	tx->committed = true;
	if (sync_parent(tx->dst) != 0) {
		sv_buf_printf(err, "cannot sync the folder of %s: %s", tx->dst, strerror(errno));
		return SV_TEMPFAIL;
	}
	return SV_OK;
}

static void md_rollback(struct sv_store *s, struct sv_store_txn *tx)
{
	(void)s;
	if (!tx)
		return;
	/* a committed message is taken back too: the MTA retries the whole
	   delivery, which must then find nothing of this attempt */
	unlink(tx->committed ? tx->dst : tx->tmp);
	txn_free(tx);
}

static void md_release(struct sv_store *s, struct sv_store_txn *tx)
{
	(void)s;
	if (tx)
		txn_free(tx);
}

static void md_close(struct sv_store *s)
{
	struct maildir *md = (struct maildir *)s;
	if (!md)
		return;
	sv_free(md->root);
	sv_free(md);
}

enum sv_status sv_dlv_maildir_open(const char *root, bool autocreate, struct sv_store **store_r,
                                   struct sv_buf *err)
{
	*store_r = NULL;
	enum sv_status st = make_maildir(root, false, err);
	if (st != SV_OK)
		return st;
	struct maildir *md = sv_calloc(1, sizeof *md);
	md->base.prepare = md_prepare;
	md->base.commit = md_commit;
	md->base.rollback = md_rollback;
	md->base.release = md_release;
	md->base.create = md_create;
	md->base.exists = md_exists;
	md->base.close = md_close;
	md->root = sv_strdup(root);
	md->autocreate = autocreate;
	*store_r = &md->base;
	return SV_OK;
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

static size_t list_messages(struct sv_store *s, const char *mailbox, size_t mlen,
                            struct sv_buf *folder, struct entry **v_r)
{
	*v_r = NULL;
	if (!sv_dlv_maildir_path(s, mailbox, mlen, folder))
		return 0;
	struct entry *v = NULL;
	size_t n = 0, cap = 0;
	for (int sub = 0; sub < 2; sub++) {
		struct sv_buf p = SV_BUF_INIT;
		sv_buf_printf(&p, "%s/%s", folder->p, sub ? "cur" : "new");
		DIR *d = opendir(p.p);
		sv_buf_free(&p);
		if (!d)
			continue;
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				v = sv_realloc(v, cap * sizeof *v);
			}
			v[n].name = sv_strdup(e->d_name);
			v[n].cur = sub == 1;
			n++;
		}
		closedir(d);
	}
	if (n)
		qsort(v, n, sizeof *v, cmp_entry);
	*v_r = v;
	return n;
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

enum sv_status sv_dlv_store_save(struct sv_store *s, const char *mailbox, size_t mlen,
                                 const char *msg, size_t len, const char *const *flags,
                                 size_t nflags, struct sv_buf *err)
{
	struct sv_store_txn *tx;
	enum sv_status st = s->prepare(s, mailbox, mlen, msg, len, flags, nflags, &tx, err);
	if (st != SV_OK)
		return st;
	st = s->commit(s, tx, err);
	if (st != SV_OK)
		s->rollback(s, tx);
	else
		s->release(s, tx);
	return st;
}
