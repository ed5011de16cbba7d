/*
 * metadata.c: the metadata service (metadata.h): annotations of RFC 5464
 * as RFC 5490's tests read them, from files or from the test double.
 *
 * Both back-ends keep one table of (mailbox, entry, value); the file
 * back-end fills it from its files on the first look-up that needs them,
 * so a delivery whose scripts read no annotation opens no file.
 */
#include "delivery/metadata.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/utf8.h"
#include "vm/result.h"

struct md_entry {
	char *mailbox; /* NULL: a server annotation */
	size_t mlen;
	char *entry;
	size_t elen;
	char *value;
	size_t vlen;
};

struct md_table {
	struct md_entry *v;
	size_t n, cap;
};

struct md_impl {
	struct sv_metadata pub;
	struct md_table table;
	/* the file back-end: paths (NULL: none) and whether each was read */
	char *user_path, *server_path;
	bool user_read, server_read;
};

/* ---- entry names (RFC 5464 §3.2, §5) ---- */

bool sv_metadata_entry_check(const char *s, size_t len, struct sv_buf *err)
{
	static const char priv[] = "/private/", shared[] = "/shared/";
	if (len > SV_METADATA_MAX_ENTRY) {
		sv_buf_printf(err, "entry name longer than %d bytes", SV_METADATA_MAX_ENTRY);
		return false;
	}
	/* §3.2: every entry lives under /private or /shared */
	size_t head = 0;
	if (len >= sizeof priv - 1 && sv_ascii_ieq(s, sizeof priv - 1, priv, sizeof priv - 1))
		head = sizeof priv - 1;
	else if (len >= sizeof shared - 1 &&
	         sv_ascii_ieq(s, sizeof shared - 1, shared, sizeof shared - 1))
		head = sizeof shared - 1;
	/* the bare prefix ("/private") names no entry either */
	if (sv_ascii_ieq(s, len, priv, sizeof priv - 2) ||
	    sv_ascii_ieq(s, len, shared, sizeof shared - 2))
		head = len;
	if (!head) {
		sv_buf_puts(err, "entry name must start with \"/private/\" or \"/shared/\"");
		return false;
	}
	if (head == len) {
		sv_buf_puts(err, "entry name has nothing after its \"/private\" or \"/shared\" prefix");
		return false;
	}
	for (size_t i = head; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		/* §3.2: no '*' or '%', no non-ASCII, no octets 0x00-0x19 (and
		   DEL is no printable character either) */
		if (c < 0x20 || c >= 0x7f) {
			sv_buf_puts(err, "entry name holds a control or non-ASCII character");
			return false;
		}
		if (c == '*' || c == '%') {
			sv_buf_printf(err, "entry name holds '%c'", c);
			return false;
		}
		if (c == '/' && (s[i - 1] == '/' || i + 1 == len)) {
			sv_buf_puts(err, "entry name has an empty component (\"//\" or a trailing '/')");
			return false;
		}
	}
	return true;
}

/* ---- the table ---- */

static bool same_mailbox(const struct md_entry *e, const char *mb, size_t mlen)
{
	if (!e->mailbox || !mb)
		return !e->mailbox && !mb;
	if (sv_mailbox_is_inbox(e->mailbox, e->mlen) || sv_mailbox_is_inbox(mb, mlen))
		return sv_mailbox_is_inbox(e->mailbox, e->mlen) && sv_mailbox_is_inbox(mb, mlen);
	return e->mlen == mlen && memcmp(e->mailbox, mb, mlen) == 0;
}

static struct md_entry *table_find(struct md_table *t, const char *mb, size_t mlen,
                                   const char *entry, size_t elen)
{
	for (size_t i = 0; i < t->n; i++) {
		struct md_entry *e = &t->v[i];
		if (same_mailbox(e, mb, mlen) && sv_ascii_ieq(e->entry, e->elen, entry, elen))
			return e;
	}
	return NULL;
}

static void table_put(struct md_table *t, const char *mb, size_t mlen, const char *entry,
                      size_t elen, const char *value, size_t vlen)
{
	struct md_entry *e = table_find(t, mb, mlen, entry, elen);
	if (e) {
		/* the later line (or call) wins */
		sv_free(e->value);
		e->value = sv_strndup(value, vlen);
		e->vlen = vlen;
		return;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = sv_realloc(t->v, t->cap * sizeof *t->v);
	}
	e = &t->v[t->n++];
	e->mailbox = mb ? sv_strndup(mb, mlen) : NULL;
	e->mlen = mb ? mlen : 0;
	e->entry = sv_strndup(entry, elen);
	e->elen = elen;
	e->value = sv_strndup(value, vlen);
	e->vlen = vlen;
}

static void table_free(struct md_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		sv_free(t->v[i].mailbox);
		sv_free(t->v[i].entry);
		sv_free(t->v[i].value);
	}
	sv_free(t->v);
	memset(t, 0, sizeof *t);
}

/* ---- the file format ---- */

/* Undo the escapes of a value; false on an unknown escape. */
static bool unescape(const char *s, size_t n, struct sv_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			sv_buf_putc(out, s[i]);
			continue;
		}
		if (++i == n)
			return false;
		switch (s[i]) {
		case '\\': sv_buf_putc(out, '\\'); break;
		case 't': sv_buf_putc(out, '\t'); break;
		case 'n': sv_buf_putc(out, '\n'); break;
		case 'r': sv_buf_putc(out, '\r'); break;
		default: return false;
		}
	}
	return true;
}

/* One line: fields split at tabs (the value keeps any further tab out:
 * a tab in a value is written "\t"). */
static bool parse_line(struct md_table *t, const char *p, size_t n, bool server,
                       struct sv_buf *why)
{
	const char *f[3];
	size_t fl[3], want = server ? 2 : 3, nf = 0;
	const char *start = p, *end = p + n;
	for (const char *q = p; q <= end; q++) {
		if (q == end || *q == '\t') {
			if (nf == want) {
				sv_buf_printf(why, "more than %zu tab-separated fields", want);
				return false;
			}
			f[nf] = start;
			fl[nf++] = (size_t)(q - start);
			start = q + 1;
		}
	}
	if (nf != want) {
		sv_buf_printf(why, "%zu tab-separated fields, not %zu", nf, want);
		return false;
	}
	const char *mb = server ? NULL : f[0];
	size_t mlen = server ? 0 : fl[0];
	size_t ei = server ? 0 : 1;
	if (!server && mlen == 0) {
		sv_buf_puts(why, "empty mailbox name");
		return false;
	}
	if (!sv_metadata_entry_check(f[ei], fl[ei], why))
		return false;
	struct sv_buf val = SV_BUF_INIT;
	bool ok = unescape(f[ei + 1], fl[ei + 1], &val);
	if (!ok)
		sv_buf_puts(why, "unknown backslash escape in the value");
	else
		table_put(t, mb, mlen, f[ei], fl[ei], val.p ? val.p : "", val.len);
	sv_buf_free(&val);
	return ok;
}

static enum sv_status parse_file(struct md_table *t, const char *path, const char *data,
                                 size_t len, bool server, struct sv_buf *err)
{
	if (!sv_utf8_valid(data, len)) {
		sv_buf_printf(err, "%s: not UTF-8", path);
		return SV_FAIL;
	}
	size_t lineno = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
		const char *line = data + i;
		i += n + (nl ? 1 : 0);
		lineno++;
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		if (memchr(line, '\0', n) || memchr(line, '\r', n)) {
			sv_buf_printf(err, "%s:%zu: control character in the line", path, lineno);
			return SV_FAIL;
		}
		struct sv_buf why = SV_BUF_INIT;
		bool ok = parse_line(t, line, n, server, &why);
		if (!ok)
			sv_buf_printf(err, "%s:%zu: %s", path, lineno, why.p ? why.p : "invalid line");
		sv_buf_free(&why);
		if (!ok)
			return SV_FAIL;
	}
	return SV_OK;
}

/* Read one file into the table: a missing file holds nothing. */
static enum sv_status load_file(struct md_table *t, const char *path, bool server,
                                struct sv_buf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return SV_OK;
		sv_buf_printf(err, "cannot open %s: %s", path, strerror(errno));
		return SV_TEMPFAIL;
	}
	struct stat sb;
	enum sv_status st = SV_OK;
	struct sv_buf data = SV_BUF_INIT;
	if (fstat(fd, &sb) != 0) {
		sv_buf_printf(err, "cannot read %s: %s", path, strerror(errno));
		st = SV_TEMPFAIL;
	} else if (!S_ISREG(sb.st_mode)) {
		sv_buf_printf(err, "%s is not a regular file", path);
		st = SV_FAIL;
	} else if (sb.st_size > SV_METADATA_MAX_FILE) {
		sv_buf_printf(err, "%s is larger than %d bytes", path, SV_METADATA_MAX_FILE);
		st = SV_FAIL;
	}
	while (st == SV_OK) {
		char buf[16384];
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sv_buf_printf(err, "cannot read %s: %s", path, strerror(errno));
			st = SV_TEMPFAIL;
		} else if (r == 0) {
			break;
		} else if (data.len + (size_t)r > SV_METADATA_MAX_FILE) {
			/* it grew while we read it */
			sv_buf_printf(err, "%s is larger than %d bytes", path, SV_METADATA_MAX_FILE);
			st = SV_FAIL;
		} else {
			sv_buf_append(&data, buf, (size_t)r);
		}
	}
	close(fd);
	if (st == SV_OK)
		st = parse_file(t, path, data.p ? data.p : "", data.len, server, err);
	sv_buf_free(&data);
	return st;
}

/* ---- the back-ends ---- */

static enum sv_status md_get(struct sv_metadata *pub, const char *mailbox, size_t mlen,
                             const char *entry, size_t elen, struct sv_buf *value,
                             bool *found_r, struct sv_buf *err)
{
	struct md_impl *md = (struct md_impl *)pub;
	*found_r = false;
	bool server = mailbox == NULL;
	char *path = server ? md->server_path : md->user_path;
	bool *read = server ? &md->server_read : &md->user_read;
	if (path && !*read) {
		enum sv_status st = load_file(&md->table, path, server, err);
		if (st == SV_TEMPFAIL)
			md->pub.unavailable = true;
		if (st != SV_OK)
			return st; /* not marked read: the next look-up tries again */
		*read = true;
	}
	const struct md_entry *e = table_find(&md->table, mailbox, mlen, entry, elen);
	if (e) {
		sv_buf_append(value, e->value, e->vlen);
		*found_r = true;
	}
	return SV_OK;
}

static void md_close(struct sv_metadata *pub)
{
	struct md_impl *md = (struct md_impl *)pub;
	if (!md)
		return;
	table_free(&md->table);
	sv_free(md->user_path);
	sv_free(md->server_path);
	sv_free(md);
}

static struct md_impl *md_new(void)
{
	struct md_impl *md = sv_calloc(1, sizeof *md);
	md->pub.get = md_get;
	md->pub.close = md_close;
	return md;
}

struct sv_metadata *sv_dlv_metadata_files(const char *user_path, const char *server_path)
{
	struct md_impl *md = md_new();
	md->user_path = user_path && *user_path ? sv_strdup(user_path) : NULL;
	md->server_path = server_path && *server_path ? sv_strdup(server_path) : NULL;
	return &md->pub;
}

struct sv_metadata *sv_dlv_metadata_mem(void)
{
	return &md_new()->pub;
}

enum sv_status sv_dlv_metadata_set(struct sv_metadata *pub, const char *mailbox, size_t mlen,
                                   const char *entry, size_t elen, const char *value,
                                   size_t vlen, struct sv_buf *err)
{
	struct md_impl *md = (struct md_impl *)pub;
	if (!sv_metadata_entry_check(entry, elen, err))
		return SV_FAIL;
	if (mailbox && mlen == 0) {
		sv_buf_puts(err, "empty mailbox name");
		return SV_FAIL;
	}
	table_put(&md->table, mailbox, mlen, entry, elen, value, vlen);
	return SV_OK;
}
