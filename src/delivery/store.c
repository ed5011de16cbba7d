/*
 * store.c: what every mail store shares: the options a store is opened
 * with, opening a store by its location ("maildir:PATH", "mbox:PATH
 * [:INBOX=FILE]", as Dovecot's mail_location writes them), and mailbox
 * names on disk: the checks that keep a script's folder names inside the
 * store and IMAP modified UTF-7 (RFC 3501 §5.1.3), the encoding IMAP
 * servers give folder names on disk.
 *
 * Not done yet: location parameters other than INBOX= (Dovecot's LAYOUT=,
 * INDEX=, ...) are not understood; they are read as part of the path.
 */
#include "delivery/store.h"

#include <string.h>

#include "delivery/maildir.h"
#include "delivery/mbox.h"
#include "lib/alloc.h"
#include "lib/utf8.h"

void sv_store_opts_init(struct sv_store_opts *o)
{
	memset(o, 0, sizeof *o);
	o->autocreate = true;
	o->separator = '.';
	o->over_quota = SV_QUOTA_TEMPFAIL;
	o->lock_timeout = 300;
	o->hostname = NULL;
}

enum sv_status sv_store_opts_copy(const struct sv_store_opts *o, struct sv_store_opts *out,
                                  struct sv_buf *err)
{
	if (o)
		*out = *o;
	else
		sv_store_opts_init(out);
	if (out->separator != '.' && out->separator != '/') {
		sv_buf_puts(err, "the mailbox separator must be '.' or '/'");
		return SV_FAIL;
	}
	return SV_OK;
}

/* The scheme of a location ("maildir" of "maildir:~/Maildir"): letters
 * before a ':' that comes before any '/'; 0 when there is none. */
static size_t scheme_len(const char *loc)
{
	size_t i = 0;
	while (sv_ascii_isalpha((unsigned char)loc[i]) || sv_ascii_isdigit((unsigned char)loc[i]))
		i++;
	return i > 0 && loc[i] == ':' ? i : 0;
}

static enum sv_status open_mbox(const char *rest, const struct sv_store_opts *o,
                                struct sv_store **store_r, struct sv_buf *err)
{
	const char *inbox_at = strstr(rest, ":INBOX=");
	size_t plen = inbox_at ? (size_t)(inbox_at - rest) : strlen(rest);
	if (plen == 0 || (inbox_at && inbox_at[7] == '\0')) {
		sv_buf_puts(err, "mbox location needs a folder and an INBOX file: 'mbox:");
		sv_buf_put_sanitized(err, rest, strlen(rest), 128);
		sv_buf_putc(err, '\'');
		return SV_FAIL;
	}
	char *root = sv_strndup(rest, plen);
	struct sv_buf inbox = SV_BUF_INIT;
	if (inbox_at)
		sv_buf_puts(&inbox, inbox_at + 7);
	else
		sv_buf_printf(&inbox, "%s/inbox", root);
	enum sv_status st = sv_dlv_mbox_open(root, inbox.p, o, store_r, err);
	sv_free(root);
	sv_buf_free(&inbox);
	return st;
}

enum sv_status sv_dlv_store_open(const char *location, const struct sv_store_opts *o,
                                 struct sv_store **store_r, struct sv_buf *err)
{
	*store_r = NULL;
	size_t sl = scheme_len(location);
	const char *rest = location + (sl ? sl + 1 : 0);
	if (sl == 0 || sv_ascii_ieq(location, sl, "maildir", 7)) {
		if (*rest == '\0') {
			sv_buf_puts(err, "mail location names no Maildir folder");
			return SV_FAIL;
		}
		return sv_dlv_maildir_open_opts(rest, o, store_r, err);
	}
	if (sv_ascii_ieq(location, sl, "mbox", 4))
		return open_mbox(rest, o, store_r, err);
	sv_buf_puts(err, "unknown mail store '");
	sv_buf_put_sanitized(err, location, sl, 32);
	sv_buf_puts(err, "' in mail location '");
	sv_buf_put_sanitized(err, location, strlen(location), 128);
	sv_buf_puts(err, "' (known: maildir:PATH, mbox:PATH[:INBOX=FILE])");
	return SV_FAIL;
}

enum sv_status sv_dlv_store_save(struct sv_store *s, const char *mailbox, size_t mlen,
                                 const char *msg, size_t len, const char *const *flags,
                                 size_t nflags, struct sv_buf *err)
{
	struct sv_store_txn *tx;
	enum sv_status st = s->prepare(s, mailbox, mlen, msg, len, flags, nflags, &tx, err);
	if (st != SV_OK)
		return st;
	if (s->flush)
		st = s->flush(s, err);
	if (st == SV_OK)
		st = s->commit(s, tx, err);
	if (st == SV_OK && s->sync)
		st = s->sync(s, err);
	if (st != SV_OK)
		s->rollback(s, tx);
	else
		s->release(s, tx);
	return st;
}

/* ---- IMAP modified UTF-7 (RFC 3501 §5.1.3) ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

/* RFC 3501 §5.1.3: printable US-ASCII except '&' represents itself */
static bool direct(uint32_t cp)
{
	return cp >= 0x20 && cp <= 0x7e && cp != '&';
}

/* One run of characters that are not direct, as "&<base64 of UTF-16>-". */
static void encode_run(const uint32_t *cps, size_t n, struct sv_buf *out)
{
	uint32_t bits = 0;
	int nbits = 0;
	sv_buf_putc(out, '&');
	for (size_t i = 0; i < n; i++) {
		uint16_t units[2];
		size_t nu = 0;
		if (cps[i] >= 0x10000) {
			uint32_t v = cps[i] - 0x10000;
			units[nu++] = (uint16_t)(0xd800 | (v >> 10));
			units[nu++] = (uint16_t)(0xdc00 | (v & 0x3ff));
		} else {
			units[nu++] = (uint16_t)cps[i];
		}
		for (size_t u = 0; u < nu; u++) {
			bits = (bits << 16) | units[u];
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				sv_buf_putc(out, b64[(bits >> nbits) & 0x3f]);
			}
			bits &= (1u << nbits) - 1;
		}
	}
	if (nbits > 0)
		sv_buf_putc(out, b64[(bits << (6 - nbits)) & 0x3f]);
	sv_buf_putc(out, '-');
}

bool sv_dlv_mutf7_encode(const char *s, size_t n, struct sv_buf *out)
{
	if (!sv_utf8_valid(s, n))
		return false;
	uint32_t *run = sv_malloc((n + 1) * sizeof *run);
	size_t nrun = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += sv_utf8_decode(s + i, n - i, &cp);
		if (!direct(cp) && cp != '&') {
			run[nrun++] = cp;
			continue;
		}
		if (nrun)
			encode_run(run, nrun, out);
		nrun = 0;
		if (cp == '&')
			sv_buf_puts(out, "&-");
		else
			sv_buf_putc(out, (char)cp);
	}
	if (nrun)
		encode_run(run, nrun, out);
	sv_free(run);
	return true;
}

/* Decode the base64 between '&' and '-' into out; false when it is not
 * what the encoder writes (bad digits, half a unit, padding bits set, lone
 * surrogates, characters that must be direct). */
static bool decode_run(const char *s, size_t n, struct sv_buf *out)
{
	uint32_t bits = 0, high = 0;
	int nbits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value(s[i]);
		if (v < 0)
			return false;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t unit = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		uint32_t cp;
		if (unit >= 0xd800 && unit <= 0xdbff) {
			if (high)
				return false;
			high = unit;
			continue;
		}
		if (unit >= 0xdc00 && unit <= 0xdfff) {
			if (!high)
				return false;
			cp = 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00);
			high = 0;
		} else {
			if (high)
				return false;
			cp = unit;
		}
		if (direct(cp) || cp == '&')
			return false;
		char u8[4];
		sv_buf_append(out, u8, sv_utf8_encode(cp, u8));
	}
	return !high && nbits < 6 && bits == 0;
}

bool sv_dlv_mutf7_decode(const char *s, size_t n, struct sv_buf *out)
{
	size_t start = out->len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c != '&') {
			if (!direct(c))
				goto bad;
			sv_buf_putc(out, (char)c);
			continue;
		}
		const char *end = memchr(s + i + 1, '-', n - i - 1);
		if (!end)
			goto bad;
		size_t rl = (size_t)(end - (s + i + 1));
		if (rl == 0) {
			sv_buf_putc(out, '&');
		} else if (!decode_run(s + i + 1, rl, out) ||
		           (end + 1 < s + n && end[1] == '&' && end + 2 < s + n && end[2] != '-')) {
			/* two encoded runs in a row are one run in canonical form */
			goto bad;
		}
		i = (size_t)(end - s);
	}
	return true;
bad:
	out->len = start;
	if (out->p)
		out->p[start] = '\0';
	return false;
}

/* ---- mailbox names on disk ---- */

static enum sv_status refuse(struct sv_buf *err, const char *name, size_t len, const char *why)
{
	sv_buf_puts(err, "invalid mailbox name '");
	sv_buf_put_sanitized(err, name, len, 128);
	sv_buf_printf(err, "': %s", why);
	return SV_FAIL;
}

/* Control characters of any kind: C0, DEL and C1 (U+0080..U+009F). */
static bool has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += sv_utf8_decode(s + i, n - i, &cp);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return true;
	}
	return false;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

enum sv_status sv_dlv_mailbox_fsname(const char *name, size_t len, char sep,
                                     enum sv_dlv_layout layout, struct sv_buf *out,
                                     struct sv_buf *err)
{
	sv_buf_reset(out);
	if (len == 0)
		return refuse(err, name, len, "empty");
	if (len > 512)
		return refuse(err, name, len, "longer than 512 bytes");
	if (!sv_utf8_valid(name, len))
		return refuse(err, name, len, "not UTF-8");
	if (has_control(name, len))
		return refuse(err, name, len, "control character");
	const char join = layout == SV_LAYOUT_MAILDIRPP ? '.' : '/';
	size_t i = 0;
	for (;;) {
		size_t j = i;
		/* under '.', '/' separates too; under '/', only '/' does */
		while (j < len && name[j] != '/' && !(sep == '.' && name[j] == '.'))
			j++;
		const char *lv = name + i;
		size_t ll = j - i;
		if (ll == 0)
			return refuse(err, name, len, "empty hierarchy level");
		if (memchr(lv, '.', ll)) {
			/* only under '/': the level keeps its dots */
			if (layout == SV_LAYOUT_MAILDIRPP)
				return refuse(err, name, len,
				              "'.' inside a level cannot be stored in a Maildir++ "
				              "folder name with the separator '/'");
			if (lv[0] == '.')
				return refuse(err, name, len, "a level starts with '.'");
			if (ends_with(lv, ll, ".lock"))
				return refuse(err, name, len, "a level ends in '.lock'");
		}
		size_t before = out->len;
		if (before)
			sv_buf_putc(out, join);
		sv_dlv_mutf7_encode(lv, ll, out);
		if (out->len - before > 200)
			return refuse(err, name, len, "a level is longer than 200 bytes on disk");
		if (j == len)
			break;
		i = j + 1;
		if (i == len)
			return refuse(err, name, len, "empty hierarchy level");
	}
	return SV_OK;
}
