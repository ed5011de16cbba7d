/*
 * compose.c: the composer for generated mail (compose.h): header fields
 * (RFC 5322 §2.1.1 line lengths, §2.2.3 folding, §3.3 dates, §3.4
 * addresses, §3.6.4 identification fields), RFC 2047 encoded words in
 * unstructured text and phrases, MIME bodies (RFC 2045 §6.7
 * quoted-printable, §6.8 base64, RFC 2046 §5.1 multiparts, §5.2.1
 * message/rfc822, RFC 6522 multipart/report and text/rfc822-headers), the
 * fields of automatic responses (RFC 3834, RFC 5230 §5) and reject MDNs
 * (RFC 5429 §2.1, RFC 8098 §3).
 *
 * Every line ends in LF (compose.h says why). The body is a small tree of
 * parts; each is rendered when the message is finished, children first,
 * so a multipart's boundary is checked against the exact bytes it
 * encloses.
 *
 * Not done yet: RFC 2231 parameter encoding (the caller's entity brings
 * its own), more than one address per address field, non-ASCII
 * addresses (RFC 6532; the submission has no SMTPUTF8 yet).
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/utf8.h"
#include "mail/compose.h"
#include "mail/mail-private.h"
#include "mail/message.h"

struct sv_compose_part {
	/* content fields, each line ending in LF; for a generated multipart
	   the Content-Type is written at render time (it holds the
	   boundary) and head holds only its type and parameters */
	const char *head;
	size_t hlen;
	const char *body; /* encoded, LF line ends */
	size_t blen;
	bool multipart; /* generated multipart: children below */
	bool eight;     /* 8-bit content in it or below: declared 8bit */
	struct sv_compose_part *parent, *first, *last, *next;
};

static const char hexdig[] = "0123456789ABCDEF";

/* ---- small helpers ---------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	/* splitmix64's finaliser: spreads injected or counter-like bits */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static enum sv_status fail(struct sv_compose *c, enum sv_status st)
{
	if (c->err == SV_OK)
		c->err = st;
	return c->err;
}

/* Account n more bytes against the cap. */
static enum sv_status account(struct sv_compose *c, size_t n)
{
	if (n > c->cap || c->used > c->cap - n)
		return fail(c, SV_LIMIT);
	c->used += n;
	return SV_OK;
}

static bool is_atext(unsigned char c)
{
	/* RFC 5322 §3.2.3 atext, ASCII only */
	if (sv_ascii_isalpha(c) || sv_ascii_isdigit(c))
		return true;
	return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* RFC 2045 §5.1 token characters. */
static bool is_token(unsigned char c)
{
	return c > ' ' && c < 127 && !strchr("()<>@,;:\\\"/[]?=", c);
}

/* Properties of a block of LF-ended lines, for choosing an encoding. */
struct shape {
	bool eight;      /* a byte >= 0x80 */
	bool nul;        /* a NUL */
	bool ctl;        /* another control character than TAB and LF */
	bool cr;         /* a CR (before normalisation) */
	bool trailing;   /* a line ending in space or tab */
	size_t maxline;  /* longest line, without its LF */
};

static void shape_of(const char *s, size_t n, struct shape *sh)
{
	memset(sh, 0, sizeof *sh);
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n') {
			if (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
				sh->trailing = true;
			col = 0;
			continue;
		}
		if (++col > sh->maxline)
			sh->maxline = col;
		if (c >= 0x80)
			sh->eight = true;
		else if (c == 0)
			sh->nul = true;
		else if (c == '\r')
			sh->cr = true;
		else if ((c < ' ' && c != '\t') || c == 127)
			sh->ctl = true;
	}
	if (n > 0 && s[n - 1] != '\n' && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		sh->trailing = true;
}

/* Append s with CRLF and lone CR turned into LF. */
static void put_lf(struct sv_buf *b, const char *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\r')
			continue;
		sv_buf_append(b, s + run, i - run);
		sv_buf_putc(b, '\n');
		if (i + 1 < n && s[i + 1] == '\n')
			i++;
		run = i + 1;
	}
	sv_buf_append(b, s + run, n - run);
}

/*
 * User text for a header field: UTF-8 (invalid bytes as U+FFFD), every
 * control character (C0, DEL, C1) a space, whitespace runs one space,
 * trimmed. RFC 5322 §2.2: a field is one logical line, so nothing a caller
 * passes can end it.
 */
static void clean_line(struct sv_buf *out, const char *s, size_t n)
{
	struct sv_buf u = SV_BUF_INIT;
	sv_mail_utf8_sanitize(&u, s, n);
	bool space = true; /* drops leading spaces */
	for (size_t i = 0; i < u.len; i++) {
		unsigned char c = (unsigned char)u.p[i];
		bool ws = c < ' ' || c == 127;
		if (c == 0xc2 && i + 1 < u.len && (unsigned char)u.p[i + 1] >= 0x80 &&
		    (unsigned char)u.p[i + 1] <= 0x9f) {
			ws = true; /* U+0080..U+009F */
			i++;
		}
		if (ws || c == ' ') {
			if (!space)
				sv_buf_putc(out, ' ');
			space = true;
			continue;
		}
		sv_buf_putc(out, (char)c);
		space = false;
	}
	if (out->len > 0 && out->p[out->len - 1] == ' ')
		out->len--;
	if (out->p)
		out->p[out->len] = '\0';
	sv_buf_free(&u);
}

/* ---- RFC 2047 encoding ---------------------------------------------------- */

/* RFC 2047 §5(3): the characters a Q word may carry as themselves in a
 * phrase; the most restrictive rule, so valid in every context. */
static bool q_plain(unsigned char c)
{
	return sv_ascii_isalpha(c) || sv_ascii_isdigit(c) || c == '!' || c == '*' || c == '+' ||
	       c == '-' || c == '/';
}

static size_t q_cost(unsigned char c)
{
	return (q_plain(c) || c == ' ') ? 1 : 3;
}

#define EW_OPEN_Q "=?UTF-8?Q?"
#define EW_OPEN_B "=?UTF-8?B?"
#define EW_MAX 75       /* RFC 2047 §2 */
#define EW_PAYLOAD (EW_MAX - 12) /* minus "=?UTF-8?X?" and "?=" */

static const char b64dig[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_group(struct sv_buf *b, const unsigned char *p, size_t n)
{
	uint32_t v = (uint32_t)p[0] << 16;
	if (n > 1)
		v |= (uint32_t)p[1] << 8;
	if (n > 2)
		v |= p[2];
	char o[4] = {b64dig[(v >> 18) & 63], b64dig[(v >> 12) & 63],
		     n > 1 ? b64dig[(v >> 6) & 63] : '=', n > 2 ? b64dig[v & 63] : '='};
	sv_buf_append(b, o, 4);
}

static void put_word(struct sv_buf *out, bool q, const char *s, size_t n)
{
	sv_buf_puts(out, q ? EW_OPEN_Q : EW_OPEN_B);
	if (q) {
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c == ' ') {
				sv_buf_putc(out, '_'); /* §4.2 (2) */
			} else if (q_plain(c)) {
				sv_buf_putc(out, (char)c);
			} else {
				char e[3] = {'=', hexdig[c >> 4], hexdig[c & 15]};
				sv_buf_append(out, e, 3);
			}
		}
	} else {
		for (size_t i = 0; i < n; i += 3)
			b64_group(out, (const unsigned char *)s + i, n - i < 3 ? n - i : 3);
	}
	sv_buf_puts(out, "?=");
}

/* The encoder; the first word is at most first_max characters (when that
 * leaves room for any character), so that it can finish the line a
 * field has begun instead of forcing a fold. */
static void ew_encode(struct sv_buf *out, const char *s, size_t len, size_t first_max)
{
	/* one encoding for the whole text, the shorter (RFC 2047 §4) */
	size_t qlen = 0;
	for (size_t i = 0; i < len; i++)
		qlen += q_cost((unsigned char)s[i]);
	bool q = qlen <= (len + 2) / 3 * 4;
	size_t limit = EW_PAYLOAD;
	/* 12: the largest single character, a 4-byte one in Q */
	if (first_max < EW_MAX && first_max >= 12 + 12)
		limit = first_max - 12;
	size_t start = 0, cost = 0, i = 0;
	bool first = true;
	while (i < len) {
		/* RFC 2047 §5: a word holds whole characters only */
		size_t cl = sv_utf8_char_len(s + i, len - i), cc = 0;
		for (size_t k = 0; k < cl; k++)
			cc += q_cost((unsigned char)s[i + k]);
		size_t next = q ? cost + cc : (i + cl - start + 2) / 3 * 4;
		if (next > limit && i > start) {
			if (!first)
				sv_buf_putc(out, ' ');
			put_word(out, q, s + start, i - start);
			first = false;
			limit = EW_PAYLOAD;
			start = i;
			cost = 0;
			continue;
		}
		cost = q ? next : 0;
		i += cl;
	}
	if (i > start) {
		if (!first)
			sv_buf_putc(out, ' ');
		put_word(out, q, s + start, i - start);
	}
}

void sv_rfc2047_encode(struct sv_buf *out, const char *s, size_t len)
{
	ew_encode(out, s, len, EW_MAX);
}

/* ---- field writer ----------------------------------------------------------- */

/* Writes one field as atoms separated by single spaces, folding before an
 * atom that would pass column 78 (RFC 5322 §2.2.3). No atom is longer than
 * about 900 bytes, so no line passes 998. */
struct fw {
	struct sv_buf *b;
	size_t col;
};

static void fw_begin(struct fw *w, struct sv_buf *b, const char *name)
{
	w->b = b;
	sv_buf_puts(b, name);
	sv_buf_putc(b, ':');
	w->col = strlen(name) + 1;
}

static void fw_atom(struct fw *w, const char *a, size_t n)
{
	if (w->col + 1 + n > SV_COMPOSE_LINE) {
		sv_buf_puts(w->b, "\n ");
		w->col = 1;
	} else {
		sv_buf_putc(w->b, ' ');
		w->col++;
	}
	sv_buf_append(w->b, a, n);
	w->col += n;
}

/* Every space-separated atom of s (s holds single spaces only). */
static void fw_atoms(struct fw *w, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		const char *sp = memchr(s + i, ' ', n - i);
		size_t e = sp ? (size_t)(sp - s) : n;
		if (e > i)
			fw_atom(w, s + i, e - i);
		i = e + 1;
	}
}

/* Room for an atom on the current line, after its space. */
static size_t fw_room(const struct fw *w)
{
	return w->col + 1 < SV_COMPOSE_LINE ? SV_COMPOSE_LINE - w->col - 1 : 0;
}

static void fw_end(struct fw *w)
{
	sv_buf_putc(w->b, '\n');
}

#define WORD_MAX 900 /* longer words are encoded, so they can be folded */

static bool word_needs_encoding(const char *s, size_t n)
{
	if (n > WORD_MAX || memmem(s, n, "=?", 2))
		return true;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* Unstructured text (cleaned: single spaces, no controls) as atoms:
 * plain words as they are, each run of words that need encoding with the
 * spaces between them as encoded words (RFC 2047 §6.2: the space between
 * two encoded words is not displayed, so it must be inside one). */
static void flush_run(struct fw *w, struct sv_buf *enc, const char *s, size_t *run,
		      size_t run_end)
{
	if (*run == SIZE_MAX)
		return;
	sv_buf_reset(enc);
	ew_encode(enc, s + *run, run_end - *run, fw_room(w));
	fw_atoms(w, enc->p, enc->len);
	*run = SIZE_MAX;
}

static void fw_unstructured(struct fw *w, const char *s, size_t n)
{
	struct sv_buf enc = SV_BUF_INIT;
	size_t i = 0, run = SIZE_MAX, run_end = 0;
	while (i < n) {
		const char *sp = memchr(s + i, ' ', n - i);
		size_t e = sp ? (size_t)(sp - s) : n;
		if (word_needs_encoding(s + i, e - i)) {
			if (run == SIZE_MAX)
				run = i;
			run_end = e;
		} else {
			flush_run(w, &enc, s, &run, run_end);
			fw_atom(w, s + i, e - i);
		}
		i = e + 1;
	}
	flush_run(w, &enc, s, &run, run_end);
	sv_buf_free(&enc);
}

/* ---- the builder -------------------------------------------------------------- */

void sv_compose_ids_system(struct sv_compose_ids *ids)
{
	memset(ids, 0, sizeof *ids);
	ids->now = time(NULL);
	struct tm tm;
	if (localtime_r(&ids->now, &tm))
		ids->tz_minutes = (int)(tm.tm_gmtoff / 60);
	ids->pid = (unsigned long)getpid();
	uint64_t r;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		r = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
			  ((uint64_t)ids->pid << 40) ^ (uint64_t)(uintptr_t)&r);
	}
	ids->random = r;
}

void sv_compose_init(struct sv_compose *c, const struct sv_compose_ids *ids, size_t cap)
{
	memset(c, 0, sizeof *c);
	c->arena = sv_arena_new();
	if (ids)
		c->ids = *ids;
	else
		sv_compose_ids_system(&c->ids);
	c->cap = cap;
}

void sv_compose_free(struct sv_compose *c)
{
	if (c->arena)
		sv_arena_free(c->arena);
	c->arena = NULL;
	sv_buf_free(&c->head);
	c->body = NULL;
}

static bool valid_name(const char *name)
{
	if (!name)
		return false;
	size_t n = strlen(name);
	if (n == 0 || n > SV_COMPOSE_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch <= ' ' || ch >= 127 || ch == ':') /* RFC 5322 §3.6.8 ftext */
			return false;
	}
	/* the body's own fields */
	return !sv_ascii_ieqz(name, "MIME-Version") && !sv_ascii_ieqz(name, "Content-Type") &&
	       !sv_ascii_ieqz(name, "Content-Transfer-Encoding");
}

/* Commit a field written into tmp: checked against the cap. */
static enum sv_status put_field(struct sv_compose *c, struct sv_buf *tmp)
{
	enum sv_status st = account(c, tmp->len);
	if (st == SV_OK)
		sv_buf_append(&c->head, tmp->p, tmp->len);
	sv_buf_free(tmp);
	return st;
}

/* Before a field of len bytes of value: the sticky error, the name, the
 * input bound. */
static enum sv_status field_check(struct sv_compose *c, const char *name, size_t len)
{
	if (c->err)
		return c->err;
	if (!valid_name(name))
		return fail(c, SV_FAIL);
	if (len > SV_COMPOSE_MAX_FIELD)
		return fail(c, SV_LIMIT);
	return SV_OK;
}

enum sv_status sv_compose_header(struct sv_compose *c, const char *name, const char *value,
				 size_t len)
{
	enum sv_status st = field_check(c, name, len);
	if (st != SV_OK)
		return st;
	struct sv_buf v = SV_BUF_INIT, f = SV_BUF_INIT;
	clean_line(&v, value ? value : "", value ? len : 0);
	struct fw w;
	fw_begin(&w, &f, name);
	fw_unstructured(&w, v.p ? v.p : "", v.len);
	fw_end(&w);
	sv_buf_free(&v);
	return put_field(c, &f);
}

void sv_compose_format_field(struct sv_buf *out, const char *name, const char *value, size_t len)
{
	struct sv_buf v = SV_BUF_INIT;
	clean_line(&v, value ? value : "", value ? len : 0);
	struct fw w;
	fw_begin(&w, out, name);
	fw_unstructured(&w, v.p ? v.p : "", v.len);
	fw_end(&w);
	sv_buf_free(&v);
}

/* RFC 5322 §3.2.3 dot-atom-text (strict: no empty atoms). */
static bool dot_atom(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!is_atext((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

/* A host name: letters, digits, hyphens, in dot-separated labels. */
static bool valid_host(const char *s, size_t n)
{
	if (n == 0 || n > 200 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!sv_ascii_isalpha(ch) && !sv_ascii_isdigit(ch) && ch != '-') {
			return false;
		}
	}
	return true;
}

/* RFC 5322 §3.4.1 addr-spec, ASCII, without obsolete forms or CFWS. */
static bool valid_addr(const char *a)
{
	size_t n = strlen(a);
	if (n == 0 || n > SV_COMPOSE_MAX_ADDR)
		return false;
	const char *at = memrchr(a, '@', n);
	if (!at)
		return false;
	size_t ll = (size_t)(at - a), dl = n - ll - 1;
	if (ll == 0 || ll > SV_COMPOSE_MAX_LOCAL || dl == 0)
		return false;
	if (a[0] == '"') {
		/* §3.2.4 quoted-string without folding */
		if (ll < 2 || a[ll - 1] != '"')
			return false;
		for (size_t i = 1; i < ll - 1; i++) {
			unsigned char ch = (unsigned char)a[i];
			if (ch < ' ' || ch >= 127)
				return false;
			if (ch == '\\') {
				if (i + 1 >= ll - 1 || (unsigned char)a[i + 1] < ' ' ||
				    (unsigned char)a[i + 1] >= 127)
					return false;
				i++;
			} else if (ch == '"') {
				return false;
			}
		}
	} else if (!dot_atom(a, ll)) {
		return false;
	}
	const char *d = at + 1;
	if (d[0] == '[') {
		/* §3.4.1 domain-literal: dtext */
		if (dl < 3 || d[dl - 1] != ']')
			return false;
		for (size_t i = 1; i < dl - 1; i++) {
			unsigned char ch = (unsigned char)d[i];
			if (ch <= ' ' || ch >= 127 || ch == '[' || ch == ']' || ch == '\\')
				return false;
		}
		return true;
	}
	return valid_host(d, dl);
}

/* The display name (cleaned) as atoms: plain atoms, a quoted-string
 * split at its spaces (RFC 5322 §3.2.4 allows FWS inside), or encoded
 * words (RFC 2047 §5(3)). */
static void fw_phrase(struct fw *w, const char *s, size_t n)
{
	bool plain = true, atoms = true;
	if (memmem(s, n, "=?", 2))
		plain = false;
	for (size_t i = 0; i < n && plain; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x80)
			plain = false;
		else if (ch != ' ' && !is_atext(ch))
			atoms = false;
	}
	if (!plain) {
		struct sv_buf enc = SV_BUF_INIT;
		ew_encode(&enc, s, n, fw_room(w));
		fw_atoms(w, enc.p, enc.len);
		sv_buf_free(&enc);
		return;
	}
	if (atoms) {
		fw_atoms(w, s, n);
		return;
	}
	struct sv_buf q = SV_BUF_INIT;
	sv_buf_putc(&q, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			sv_buf_putc(&q, '\\');
		sv_buf_putc(&q, s[i]);
	}
	sv_buf_putc(&q, '"');
	fw_atoms(w, q.p, q.len);
	sv_buf_free(&q);
}

enum sv_status sv_compose_address_header(struct sv_compose *c, const char *name,
					 const char *display, const char *addr)
{
	if (c->err)
		return c->err;
	if (!valid_name(name) || !addr || !valid_addr(addr))
		return fail(c, SV_FAIL);
	size_t dlen = display ? strlen(display) : 0;
	if (dlen > SV_COMPOSE_MAX_PHRASE)
		return fail(c, SV_LIMIT);
	struct sv_buf d = SV_BUF_INIT, f = SV_BUF_INIT, a = SV_BUF_INIT;
	clean_line(&d, display ? display : "", dlen);
	struct fw w;
	fw_begin(&w, &f, name);
	if (d.len > 0) {
		fw_phrase(&w, d.p, d.len);
		sv_buf_putc(&a, '<');
		sv_buf_puts(&a, addr);
		sv_buf_putc(&a, '>');
		fw_atom(&w, a.p, a.len);
	} else {
		fw_atom(&w, addr, strlen(addr));
	}
	fw_end(&w);
	sv_buf_free(&d);
	sv_buf_free(&a);
	return put_field(c, &f);
}

void sv_compose_format_date(char out[SV_COMPOSE_DATE_SIZE], time_t t, int tz_minutes)
{
	static const char wday[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	if (tz_minutes < -1439 || tz_minutes > 1439)
		tz_minutes = 0;
	struct tm tm;
	time_t lt = t + (time_t)tz_minutes * 60;
	if (!gmtime_r(&lt, &tm) || tm.tm_year < 0 || tm.tm_year > 9999 - 1900) {
		lt = 0; /* out of the range of RFC 5322 §3.3 years */
		tz_minutes = 0;
		gmtime_r(&lt, &tm);
	}
	int off = tz_minutes < 0 ? -tz_minutes : tz_minutes;
	/* RFC 5322 §3.3; names from our tables, no locale */
	snprintf(out, SV_COMPOSE_DATE_SIZE, "%s, %d %s %04d %02d:%02d:%02d %c%02d%02d",
		 wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, tz_minutes < 0 ? '-' : '+', off / 60, off % 60);
}

enum sv_status sv_compose_date(struct sv_compose *c, time_t t, int tz_minutes)
{
	if (c->err)
		return c->err;
	if (tz_minutes < -1439 || tz_minutes > 1439)
		return fail(c, SV_FAIL);
	char d[SV_COMPOSE_DATE_SIZE];
	sv_compose_format_date(d, t, tz_minutes);
	struct sv_buf f = SV_BUF_INIT;
	sv_buf_printf(&f, "Date: %s\n", d);
	return put_field(c, &f);
}

enum sv_status sv_compose_message_id(struct sv_compose *c, const char *domain)
{
	if (c->err)
		return c->err;
	if (!domain || !valid_host(domain, strlen(domain)))
		return fail(c, SV_FAIL);
	/* RFC 5322 §3.6.4: unique by time, process and random bits; the
	   random part goes through a mixer so that a weak source still
	   spreads over all 64 bits */
	struct tm tm;
	time_t t = c->ids.now;
	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof tm);
	struct sv_buf id = SV_BUF_INIT;
	sv_buf_printf(&id, "<%04d%02d%02d%02d%02d%02d.%lu.%016llx@%s>", tm.tm_year + 1900,
		      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, c->ids.pid,
		      (unsigned long long)mix64(c->ids.random), domain);
	if (id.len > SV_COMPOSE_MAX_MSGID) {
		sv_buf_free(&id);
		return fail(c, SV_FAIL);
	}
	memcpy(c->message_id, id.p, id.len + 1);
	struct sv_buf f = SV_BUF_INIT;
	sv_buf_printf(&f, "Message-ID: %s\n", id.p);
	sv_buf_free(&id);
	return put_field(c, &f);
}

/* RFC 5322 §3.6.4 msg-id "<" id-left "@" id-right ">", read leniently as
 * real mail writes it: printable ASCII without specials that would break
 * the field, exactly one "@" with text on both sides. */
static bool valid_msgid(const char *s, size_t n)
{
	if (n < 5 || n > SV_COMPOSE_MAX_MSGID || s[0] != '<' || s[n - 1] != '>')
		return false;
	size_t at = 0;
	for (size_t i = 1; i < n - 1; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch <= ' ' || ch >= 127 || strchr("<>()\\\",;", ch))
			return false;
		if (ch == '@') {
			if (at)
				return false;
			at = i;
		}
	}
	return at > 1 && at < n - 2;
}

enum sv_status sv_compose_msgid_header(struct sv_compose *c, const char *name, const char *ids,
				       size_t len)
{
	enum sv_status st = field_check(c, name, len);
	if (st != SV_OK)
		return st;
	struct sv_buf f = SV_BUF_INIT;
	struct fw w;
	fw_begin(&w, &f, name);
	size_t i = 0, count = 0;
	while (i < len) {
		if (ids[i] == ' ') {
			i++;
			continue;
		}
		size_t e = i;
		while (e < len && ids[e] != ' ')
			e++;
		if (!valid_msgid(ids + i, e - i)) {
			sv_buf_free(&f);
			return fail(c, SV_FAIL);
		}
		fw_atom(&w, ids + i, e - i);
		count++;
		i = e;
	}
	if (count == 0) {
		sv_buf_free(&f);
		return fail(c, SV_FAIL);
	}
	fw_end(&w);
	return put_field(c, &f);
}

/* ---- reply helpers -------------------------------------------------------- */

struct idlist {
	const char *s[SV_COMPOSE_MAX_REFS];
	size_t n[SV_COMPOSE_MAX_REFS];
	size_t count;
	size_t seen; /* ids offered, kept or not */
};

/* Keep the first id (the thread's root) and the latest ones. */
static void idlist_push(struct idlist *l, const char *s, size_t n)
{
	l->seen++;
	if (l->count < SV_COMPOSE_MAX_REFS) {
		l->s[l->count] = s;
		l->n[l->count++] = n;
		return;
	}
	memmove(l->s + 1, l->s + 2, (SV_COMPOSE_MAX_REFS - 2) * sizeof l->s[0]);
	memmove(l->n + 1, l->n + 2, (SV_COMPOSE_MAX_REFS - 2) * sizeof l->n[0]);
	l->s[SV_COMPOSE_MAX_REFS - 1] = s;
	l->n[SV_COMPOSE_MAX_REFS - 1] = n;
}

/* Each well-formed "<...>" of a field value, in order; returns how many
 * ids the value held (well-formed or not). */
static size_t scan_ids(const char *s, size_t len, struct idlist *l)
{
	size_t i = 0, found = 0;
	while (i < len) {
		const char *lt = memchr(s + i, '<', len - i);
		if (!lt)
			break;
		size_t b = (size_t)(lt - s);
		const char *gt = memchr(s + b, '>', len - b);
		if (!gt)
			break;
		size_t e = (size_t)(gt - s) + 1;
		found++;
		if (l && valid_msgid(s + b, e - b))
			idlist_push(l, s + b, e - b);
		i = e;
	}
	return found;
}

static void first_id(const char *s, size_t len, const char **id_r, size_t *n_r)
{
	struct idlist one;
	memset(&one, 0, sizeof one);
	*id_r = NULL;
	*n_r = 0;
	if (s && scan_ids(s, len, &one) >= 1 && one.count) {
		*id_r = one.s[0];
		*n_r = one.n[0];
	}
}

void sv_compose_reply_refs(const char *msgid, size_t msgid_len, const char *refs,
			   size_t refs_len, const char *irt, size_t irt_len,
			   struct sv_buf *in_reply_to_r, struct sv_buf *references_r)
{
	sv_buf_reset(in_reply_to_r);
	sv_buf_reset(references_r);
	const char *id;
	size_t idn;
	first_id(msgid, msgid_len, &id, &idn);
	if (id)
		sv_buf_append(in_reply_to_r, id, idn);

	/* RFC 5322 §3.6.4: the parent's References, or its In-Reply-To when
	   that holds a single id, then the parent's Message-ID */
	struct idlist l;
	memset(&l, 0, sizeof l);
	if (refs && refs_len) {
		scan_ids(refs, refs_len, &l);
	} else if (irt && irt_len && scan_ids(irt, irt_len, NULL) == 1) {
		scan_ids(irt, irt_len, &l);
	}
	if (id)
		idlist_push(&l, id, idn);
	for (size_t i = 0; i < l.count; i++) {
		if (i)
			sv_buf_putc(references_r, ' ');
		sv_buf_append(references_r, l.s[i], l.n[i]);
	}
}

/* The prefix without trailing spaces: "Auto: " gives "Auto:". */
static size_t prefix_core(const char *p)
{
	size_t n = strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return n;
}

void sv_compose_reply_subject(struct sv_buf *out, const char *prefix, const char *orig,
			      size_t len)
{
	sv_buf_reset(out);
	struct sv_arena *a = sv_arena_new();
	size_t dlen = 0;
	const char *d = orig ? sv_rfc2047_decode(a, orig, len, &dlen) : "";
	struct sv_buf subj = SV_BUF_INIT;
	clean_line(&subj, d, dlen);
	sv_arena_free(a);
	size_t pn = prefix ? prefix_core(prefix) : 0;
	/* RFC 5230 §5.2 with RFC 3834 §3.1.5's advice: do not stack
	   prefixes ("Auto: Auto: ") on a subject that already has it */
	bool has = pn > 0 && subj.len >= pn && sv_ascii_ieq(subj.p, pn, prefix, pn);
	if (pn > 0 && !has) {
		sv_buf_append(out, prefix, pn);
		if (subj.len)
			sv_buf_putc(out, ' ');
	}
	if (subj.len)
		sv_buf_append(out, subj.p, subj.len);
	if (!out->p)
		sv_buf_reserve(out, 1);
	sv_buf_free(&subj);
}

static const char *field_value(struct sv_msg *m, const char *name, size_t *len_r)
{
	struct sv_hdr *h = sv_msg_header(m, name, strlen(name));
	*len_r = h ? h->vlen : 0;
	return h ? h->value : NULL;
}

/* In-Reply-To and References of a reply to orig. */
static enum sv_status reply_refs(struct sv_compose *c, struct sv_msg *orig)
{
	size_t ml, rl, il;
	const char *mid = field_value(orig, "Message-ID", &ml);
	const char *ref = field_value(orig, "References", &rl);
	const char *irt = field_value(orig, "In-Reply-To", &il);
	struct sv_buf in = SV_BUF_INIT, refs = SV_BUF_INIT;
	sv_compose_reply_refs(mid, ml, ref, rl, irt, il, &in, &refs);
	if (in.len)
		sv_compose_msgid_header(c, "In-Reply-To", in.p, in.len);
	if (refs.len)
		sv_compose_msgid_header(c, "References", refs.p, refs.len);
	sv_buf_free(&in);
	sv_buf_free(&refs);
	return c->err;
}

enum sv_status sv_compose_reply_headers(struct sv_compose *c, struct sv_msg *orig,
					const char *prefix, const char *subject)
{
	if (c->err)
		return c->err;
	if (subject) {
		sv_compose_header(c, "Subject", subject, strlen(subject));
	} else {
		size_t sl;
		const char *s = field_value(orig, "Subject", &sl);
		struct sv_buf b = SV_BUF_INIT;
		sv_compose_reply_subject(&b, prefix ? prefix : "Auto: ", s, sl);
		sv_compose_header(c, "Subject", b.p, b.len);
		sv_buf_free(&b);
	}
	reply_refs(c, orig);
	/* RFC 3834 §5, RFC 5230 §5.1 */
	sv_compose_header(c, "Auto-Submitted", "auto-replied", 12);
	return c->err;
}

/* ---- body encoders ------------------------------------------------------- */

#define QP_LINE 76 /* RFC 2045 §6.7 (5) */

/* RFC 2045 §6.7 quoted-printable of LF-ended text; lines stay LF. */
static void qp_encode(struct sv_buf *out, const char *s, size_t n)
{
	size_t col = 0, line = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\n') {
			sv_buf_putc(out, '\n');
			col = 0;
			line = i + 1;
			continue;
		}
		bool eol = i + 1 == n || s[i + 1] == '\n';
		/* rule (2) printable as itself, rule (3) space and tab but not
		   at the end of a line; "From " at a line start encoded so no
		   mbox store needs to escape it */
		bool lit = (ch >= 33 && ch <= 126 && ch != '=') || ((ch == ' ' || ch == '\t') && !eol);
		if (ch == 'F' && i == line && n - i >= 5 && memcmp(s + i, "From ", 5) == 0)
			lit = false;
		size_t w = lit ? 1 : 3;
		/* rule (5): soft break keeps lines at 76 with the "=" */
		if (col + w > QP_LINE - 1 && !(eol && col + w <= QP_LINE)) {
			sv_buf_puts(out, "=\n");
			col = 0;
		}
		if (lit) {
			sv_buf_putc(out, (char)ch);
		} else {
			char e[3] = {'=', hexdig[ch >> 4], hexdig[ch & 15]};
			sv_buf_append(out, e, 3);
		}
		col += w;
	}
}

static void b64_encode(struct sv_buf *out, const char *s, size_t n)
{
	/* RFC 2045 §6.8: lines of 76 characters */
	for (size_t i = 0; i < n; i += 57) {
		size_t m = n - i < 57 ? n - i : 57;
		for (size_t k = 0; k < m; k += 3)
			b64_group(out, (const unsigned char *)s + i + k, m - k < 3 ? m - k : 3);
		sv_buf_putc(out, '\n');
	}
}

static struct sv_compose_part *new_part(struct sv_compose *c, struct sv_buf *head,
					struct sv_buf *body)
{
	struct sv_compose_part *p = NULL;
	if (c->nparts >= SV_COMPOSE_MAX_PARTS) {
		fail(c, SV_LIMIT);
	} else if (account(c, head->len + body->len) == SV_OK) {
		p = sv_arena_alloc(c->arena, sizeof *p);
		p->head = sv_arena_strndup(c->arena, head->p ? head->p : "", head->len);
		p->hlen = head->len;
		p->body = sv_arena_strndup(c->arena, body->p ? body->p : "", body->len);
		p->blen = body->len;
		c->nparts++;
	}
	sv_buf_free(head);
	sv_buf_free(body);
	return p;
}

/* A final line end, when the text has none. */
static void end_line(struct sv_buf *b)
{
	if (b->len > 0 && b->p[b->len - 1] != '\n')
		sv_buf_putc(b, '\n');
}

struct sv_compose_part *sv_compose_text_part(struct sv_compose *c, const char *text, size_t len)
{
	if (c->err)
		return NULL;
	if (len > c->cap) {
		fail(c, SV_LIMIT);
		return NULL;
	}
	struct sv_buf u = SV_BUF_INIT, t = SV_BUF_INIT, head = SV_BUF_INIT, body = SV_BUF_INIT;
	sv_mail_utf8_sanitize(&u, text ? text : "", text ? len : 0);
	/* RFC 2045 §2.7: no NUL in text */
	size_t k = 0;
	for (size_t i = 0; i < u.len; i++)
		if (u.p[i])
			u.p[k++] = u.p[i];
	u.len = k;
	put_lf(&t, u.p ? u.p : "", u.len);
	sv_buf_free(&u);
	end_line(&t);
	struct shape sh;
	shape_of(t.p, t.len, &sh);
	sv_buf_puts(&head, "Content-Type: text/plain; charset=utf-8\n");
	if (sh.eight || sh.ctl || sh.trailing || sh.maxline > SV_COMPOSE_LINE) {
		sv_buf_puts(&head, "Content-Transfer-Encoding: quoted-printable\n");
		qp_encode(&body, t.p, t.len);
	} else {
		sv_buf_append(&body, t.p ? t.p : "", t.len);
	}
	sv_buf_free(&t);
	return new_part(c, &head, &body);
}

/* "type/subtype" then parameters: tokens, then printable ASCII. */
static bool valid_ctype(const char *ct, size_t *type_len_r)
{
	size_t n = strlen(ct), i = 0;
	if (n > 200)
		return false;
	while (i < n && is_token((unsigned char)ct[i]))
		i++;
	if (i == 0 || i >= n || ct[i] != '/')
		return false;
	*type_len_r = i++;
	size_t s = i;
	while (i < n && is_token((unsigned char)ct[i]))
		i++;
	if (i == s)
		return false;
	for (; i < n; i++)
		if ((unsigned char)ct[i] < ' ' || (unsigned char)ct[i] >= 127)
			return false;
	return true;
}

struct sv_compose_part *sv_compose_leaf_part(struct sv_compose *c, const char *ctype,
					     const char *body, size_t len)
{
	if (c->err)
		return NULL;
	size_t tl;
	if (!ctype || !valid_ctype(ctype, &tl) || sv_ascii_ieq(ctype, tl, "multipart", 9)) {
		fail(c, SV_FAIL);
		return NULL;
	}
	if (len > c->cap) {
		fail(c, SV_LIMIT);
		return NULL;
	}
	bool text = sv_ascii_ieq(ctype, tl, "text", 4);
	bool message = sv_ascii_ieq(ctype, tl, "message", 7);
	struct sv_buf head = SV_BUF_INIT, out = SV_BUF_INIT;
	sv_buf_printf(&head, "Content-Type: %s\n", ctype);
	struct shape raw;
	shape_of(body ? body : "", body ? len : 0, &raw);
	bool eight = false;
	if (text || message) {
		struct sv_buf t = SV_BUF_INIT;
		put_lf(&t, body ? body : "", body ? len : 0);
		end_line(&t);
		struct shape sh;
		shape_of(t.p, t.len, &sh);
		if (message) {
			/* RFC 2046 §5.2.1: never encoded; 8bit at most */
			if (sh.nul || sh.maxline > SV_COMPOSE_HARD_LINE) {
				sv_buf_free(&t);
				sv_buf_free(&head);
				fail(c, SV_FAIL);
				return NULL;
			}
			eight = sh.eight;
			if (eight)
				sv_buf_puts(&head, "Content-Transfer-Encoding: 8bit\n");
			sv_buf_append(&out, t.p ? t.p : "", t.len);
		} else if (sh.eight || sh.nul || sh.maxline > SV_COMPOSE_HARD_LINE) {
			sv_buf_puts(&head, "Content-Transfer-Encoding: quoted-printable\n");
			qp_encode(&out, t.p, t.len);
		} else {
			sv_buf_append(&out, t.p ? t.p : "", t.len);
		}
		sv_buf_free(&t);
	} else if (raw.eight || raw.nul || raw.cr || raw.maxline > SV_COMPOSE_HARD_LINE) {
		/* other discrete types: their bytes exactly */
		sv_buf_puts(&head, "Content-Transfer-Encoding: base64\n");
		b64_encode(&out, body, len);
	} else {
		sv_buf_append(&out, body ? body : "", body ? len : 0);
		end_line(&out);
	}
	struct sv_compose_part *p = new_part(c, &head, &out);
	if (p)
		p->eight = eight;
	return p;
}

/* Offset of the body of an LF message: after the first empty line. */
static size_t header_end(struct sv_arena *a, const char *s, size_t n, size_t *hlen_r)
{
	struct sv_hdr *h;
	size_t nh, off;
	sv_mail_parse_header_block(a, s, n, &h, &nh, &off);
	/* the header block without the separator line */
	size_t hl = off;
	if (hl > 0 && s[hl - 1] == '\n' && hl >= 2 && s[hl - 2] == '\n')
		hl--;
	else if (hl == 1 && s[0] == '\n')
		hl = 0;
	*hlen_r = hl;
	return off;
}

struct sv_compose_part *sv_compose_message_part(struct sv_compose *c, const char *msg,
						size_t len, bool headers_only)
{
	if (c->err)
		return NULL;
	if (len > c->cap) {
		if (!headers_only) {
			/* the whole message could never fit: its headers may */
			headers_only = true;
		}
	}
	/* a leading mbox "From " line is not part of the message */
	if (msg && len >= 5 && memcmp(msg, "From ", 5) == 0) {
		const char *nl = memchr(msg, '\n', len);
		size_t skip = nl ? (size_t)(nl - msg) + 1 : len;
		msg += skip;
		len -= skip;
	}
	struct sv_buf t = SV_BUF_INIT;
	if (headers_only) {
		/* find the header end on a bounded prefix: headers are
		   small, and a message larger than the cap is not read */
		size_t scan = len;
		if (scan > c->cap)
			scan = c->cap;
		put_lf(&t, msg ? msg : "", msg ? scan : 0);
	} else {
		put_lf(&t, msg ? msg : "", msg ? len : 0);
	}
	struct shape sh;
	shape_of(t.p, t.len, &sh);
	if (!headers_only && (sh.nul || sh.maxline > SV_COMPOSE_HARD_LINE))
		headers_only = true; /* cannot be carried unencoded (§5.2.1) */
	struct sv_compose_part *p;
	if (headers_only) {
		size_t hl;
		header_end(c->arena, t.p ? t.p : "", t.len, &hl);
		t.len = hl;
		if (t.p)
			t.p[hl] = '\0';
		/* RFC 6522 §4; a text type, so quoted-printable if needed */
		p = sv_compose_leaf_part(c, "text/rfc822-headers", t.p, t.len);
	} else {
		p = sv_compose_leaf_part(c, "message/rfc822", t.p, t.len);
	}
	sv_buf_free(&t);
	return p;
}

/* ---- a caller-given entity ------------------------------------------------ */

/* The first token of a field value, lowercased (type of Content-Type,
 * mechanism of Content-Transfer-Encoding). */
static void first_token(const char *v, size_t n, char *out, size_t outsz)
{
	size_t i = 0, k = 0;
	while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n'))
		i++;
	while (i < n && v[i] != ';' && v[i] != '/' && v[i] != ' ' && v[i] != '\t' &&
	       v[i] != '\n' && v[i] != '(' && k + 1 < outsz)
		out[k++] = (char)sv_ascii_lower((unsigned char)v[i++]);
	out[k] = '\0';
}

struct entity {
	struct sv_buf head;  /* the Content-* fields kept, CTE excluded */
	char type[32];       /* Content-Type's type, "" when none */
	char cte[32];        /* Content-Transfer-Encoding, "" when none */
	size_t body_off;
};

/* One field (n bytes from s, its lines LF-ended, name namelen bytes): kept
 * when it is a Content-* field; Content-Transfer-Encoding is remembered,
 * not kept, as the composer writes its own. */
static void entity_field(struct entity *en, const char *s, size_t n, size_t namelen)
{
	const char *v = s + namelen + 1;
	size_t vn = n - namelen - 1;
	if (sv_ascii_ieq(s, namelen, "Content-Transfer-Encoding", 25)) {
		first_token(v, vn, en->cte, sizeof en->cte);
		return;
	}
	if (namelen < 8 || !sv_ascii_ieq(s, 8, "Content-", 8))
		return; /* not ours to forward: From, To, Subject... */
	if (sv_ascii_ieq(s, namelen, "Content-Type", 12))
		first_token(v, vn, en->type, sizeof en->type);
	sv_buf_append(&en->head, s, n);
	end_line(&en->head);
}

/* RFC 2045 §3 / RFC 5322 §2.2 header lines of the entity t (LF). */
static bool entity_parse(struct entity *en, const char *t, size_t n)
{
	size_t i = 0, fs = SIZE_MAX, fname = 0, hdr_end = n;
	en->body_off = n;
	while (i < n) {
		const char *nl = memchr(t + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - t) : n;
		if (e == i) { /* the empty line */
			hdr_end = i;
			en->body_off = i + 1;
			break;
		}
		if (e - i > SV_COMPOSE_HARD_LINE)
			return false;
		for (size_t k = i; k < e; k++) {
			unsigned char ch = (unsigned char)t[k];
			if ((ch < ' ' && ch != '\t') || ch >= 127)
				return false; /* 8-bit or control in a field */
		}
		if (t[i] == ' ' || t[i] == '\t') {
			if (fs == SIZE_MAX)
				return false; /* continuation of nothing */
		} else {
			if (fs != SIZE_MAX)
				entity_field(en, t + fs, i - fs, fname);
			size_t k = i;
			while (k < e && t[k] != ':' && t[k] > ' ')
				k++;
			if (k == i || k >= e || t[k] != ':' || k - i > SV_COMPOSE_MAX_NAME)
				return false;
			fs = i;
			fname = k - i;
		}
		i = nl ? e + 1 : n;
	}
	if (fs != SIZE_MAX)
		entity_field(en, t + fs, hdr_end - fs, fname);
	return true;
}

struct sv_compose_part *sv_compose_entity_part(struct sv_compose *c, const char *entity,
					       size_t len)
{
	if (c->err)
		return NULL;
	if (len > c->cap) {
		fail(c, SV_LIMIT);
		return NULL;
	}
	struct sv_buf t = SV_BUF_INIT, body = SV_BUF_INIT;
	struct entity en;
	memset(&en, 0, sizeof en);
	put_lf(&t, entity ? entity : "", entity ? len : 0);
	if (!t.p)
		sv_buf_reserve(&t, 1);
	bool ok = entity_parse(&en, t.p, t.len);
	const char *b = t.p + en.body_off;
	size_t bl = t.len - en.body_off;
	struct shape sh;
	shape_of(b, bl, &sh);
	bool composite = !strcmp(en.type, "multipart") || !strcmp(en.type, "message");
	bool plain_cte = !en.cte[0] || !strcmp(en.cte, "7bit") || !strcmp(en.cte, "8bit") ||
			 !strcmp(en.cte, "binary");
	bool encoded_cte = !strcmp(en.cte, "quoted-printable") || !strcmp(en.cte, "base64");
	bool clean = !sh.eight && !sh.nul && sh.maxline <= SV_COMPOSE_HARD_LINE;
	bool eight = false;
	if (!ok || !(plain_cte || encoded_cte) || (composite && !plain_cte) ||
	    (encoded_cte && !clean) ||
	    (composite && (sh.nul || sh.maxline > SV_COMPOSE_HARD_LINE))) {
		/* RFC 2045 §6.4: a composite is never encoded; an encoded
		   body is 7-bit by definition */
		sv_buf_free(&t);
		sv_buf_free(&en.head);
		fail(c, SV_FAIL);
		return NULL;
	}
	if (!en.type[0])
		sv_buf_puts(&en.head, "Content-Type: text/plain; charset=utf-8\n");
	if (encoded_cte) {
		sv_buf_printf(&en.head, "Content-Transfer-Encoding: %s\n", en.cte);
		sv_buf_append(&body, b, bl);
	} else if (composite) {
		eight = sh.eight;
		if (eight)
			sv_buf_puts(&en.head, "Content-Transfer-Encoding: 8bit\n");
		sv_buf_append(&body, b, bl);
	} else if (clean) {
		sv_buf_append(&body, b, bl);
	} else {
		sv_buf_puts(&en.head, "Content-Transfer-Encoding: quoted-printable\n");
		qp_encode(&body, b, bl);
	}
	end_line(&body);
	sv_buf_free(&t);
	struct sv_compose_part *p = new_part(c, &en.head, &body);
	if (p)
		p->eight = eight;
	return p;
}

/* ---- multiparts and the tree ------------------------------------------------ */

struct sv_compose_part *sv_compose_multipart(struct sv_compose *c, const char *subtype,
					     const char *params)
{
	if (c->err)
		return NULL;
	struct sv_buf ct = SV_BUF_INIT, none = SV_BUF_INIT;
	sv_buf_printf(&ct, "multipart/%s", subtype ? subtype : "");
	if (params && *params)
		sv_buf_printf(&ct, "; %s", params);
	size_t tl;
	if (!subtype || !valid_ctype(ct.p, &tl) || strchr(subtype, ';') || strchr(subtype, ' ')) {
		sv_buf_free(&ct);
		fail(c, SV_FAIL);
		return NULL;
	}
	struct sv_compose_part *p = new_part(c, &ct, &none);
	if (p)
		p->multipart = true;
	return p;
}

enum sv_status sv_compose_add(struct sv_compose *c, struct sv_compose_part *parent,
			      struct sv_compose_part *child)
{
	if (c->err)
		return c->err;
	if (!parent || !child || !parent->multipart || child->parent || child == c->body)
		return fail(c, SV_FAIL);
	for (struct sv_compose_part *up = parent; up; up = up->parent)
		if (up == child)
			return fail(c, SV_FAIL); /* a cycle */
	child->parent = parent;
	if (parent->last)
		parent->last->next = child;
	else
		parent->first = child;
	parent->last = child;
	return SV_OK;
}

enum sv_status sv_compose_set_body(struct sv_compose *c, struct sv_compose_part *part)
{
	if (c->err)
		return c->err;
	if (!part || part->parent)
		return fail(c, SV_FAIL);
	c->body = part;
	return SV_OK;
}

enum sv_status sv_compose_body_text(struct sv_compose *c, const char *text, size_t len)
{
	struct sv_compose_part *p = sv_compose_text_part(c, text, len);
	return p ? sv_compose_set_body(c, p) : c->err;
}

enum sv_status sv_compose_mime_body(struct sv_compose *c, const char *entity, size_t len)
{
	struct sv_compose_part *p = sv_compose_entity_part(c, entity, len);
	return p ? sv_compose_set_body(c, p) : c->err;
}

static bool any_eight(const struct sv_compose_part *p)
{
	if (p->eight)
		return true;
	for (const struct sv_compose_part *k = p->first; k; k = k->next)
		if (any_eight(k))
			return true;
	return false;
}

#define BOUNDARY_TRIES 16

/* RFC 2046 §5.1.1: a boundary that occurs nowhere in the parts it
 * separates. "=_" cannot occur in quoted-printable or base64 text. */
static bool pick_boundary(struct sv_compose *c, struct sv_buf *kids, size_t nk, char out[48])
{
	for (int t = 0; t < BOUNDARY_TRIES; t++) {
		uint64_t r = mix64(c->ids.random ^ mix64(++c->nboundaries));
		snprintf(out, 48, "=_sift_%016llx_%u", (unsigned long long)r, c->nboundaries);
		size_t bl = strlen(out);
		bool clash = false;
		for (size_t i = 0; i < nk && !clash; i++)
			clash = kids[i].len && memmem(kids[i].p, kids[i].len, out, bl);
		if (!clash)
			return true;
	}
	return false;
}

/* Render p (its content fields, an empty line, its body) into out. */
static enum sv_status render(struct sv_compose *c, const struct sv_compose_part *p,
			     struct sv_buf *out)
{
	if (!p->multipart) {
		sv_buf_append(out, p->head, p->hlen);
		sv_buf_putc(out, '\n');
		sv_buf_append(out, p->body, p->blen);
		return SV_OK;
	}
	size_t nk = 0;
	for (const struct sv_compose_part *k = p->first; k; k = k->next)
		nk++;
	if (nk == 0)
		return SV_FAIL; /* RFC 2046 §5.1.1: one body part at least */
	struct sv_buf *kids = sv_calloc(nk, sizeof *kids);
	enum sv_status st = SV_OK;
	size_t i = 0, total = 0;
	for (const struct sv_compose_part *k = p->first; k && st == SV_OK; k = k->next, i++) {
		st = render(c, k, &kids[i]);
		total += kids[i].len;
		if (total > c->cap)
			st = SV_LIMIT;
	}
	char bd[48];
	if (st == SV_OK && !pick_boundary(c, kids, nk, bd))
		st = SV_FAIL;
	if (st == SV_OK) {
		struct fw w;
		fw_begin(&w, out, "Content-Type");
		char *ct = sv_strndup(p->head, p->hlen);
		size_t ctl = strlen(ct);
		sv_buf_printf(out, " %s;", ct);
		w.col += 2 + ctl;
		sv_free(ct);
		struct sv_buf bp = SV_BUF_INIT;
		sv_buf_printf(&bp, "boundary=\"%s\"", bd);
		fw_atom(&w, bp.p, bp.len);
		sv_buf_free(&bp);
		fw_end(&w);
		if (any_eight(p))
			sv_buf_puts(out, "Content-Transfer-Encoding: 8bit\n");
		sv_buf_putc(out, '\n');
		i = 0;
		for (const struct sv_compose_part *k = p->first; k; k = k->next, i++) {
			sv_buf_printf(out, "--%s\n", bd);
			sv_buf_append(out, kids[i].p, kids[i].len);
			/* the line end before a delimiter belongs to it
			   (§5.1.1): keep the part's own last line end */
			sv_buf_putc(out, '\n');
		}
		sv_buf_printf(out, "--%s--\n", bd);
	}
	for (i = 0; i < nk; i++)
		sv_buf_free(&kids[i]);
	sv_free(kids);
	return st;
}

enum sv_status sv_compose_finish(struct sv_compose *c, struct sv_buf *out)
{
	if (c->err)
		return c->err;
	if (!c->body && sv_compose_body_text(c, "", 0) != SV_OK)
		return c->err;
	struct sv_compose_part *body = c->body;
	struct sv_buf m = SV_BUF_INIT;
	sv_buf_append(&m, c->head.p ? c->head.p : "", c->head.len);
	sv_buf_puts(&m, "MIME-Version: 1.0\n");
	enum sv_status st = render(c, body, &m);
	if (st == SV_OK && m.len > c->cap)
		st = SV_LIMIT;
	if (st == SV_OK)
		sv_buf_append(out, m.p, m.len);
	sv_buf_free(&m);
	if (st != SV_OK)
		fail(c, st);
	return st;
}

/* ---- reject MDNs ---------------------------------------------------------- */

/* RFC 8098 §3.2.1 ua-name [";" ua-product]: one line of printable ASCII. */
static bool valid_ua(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 200)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] >= 127)
			return false;
	return true;
}

/* RFC 8098 §3.2: the machine-readable part of a reject (RFC 5429 §2.1). */
static void mdn_fields(const struct sv_compose_mdn *mdn, struct sv_buf *b)
{
	sv_buf_printf(b, "Reporting-UA: %s\n", mdn->reporting_ua);
	if (mdn->original_recipient)
		sv_buf_printf(b, "Original-Recipient: rfc822; %s\n", mdn->original_recipient);
	sv_buf_printf(b, "Final-Recipient: rfc822; %s\n", mdn->final_recipient);
	size_t ml;
	const char *mid = field_value(mdn->orig, "Message-ID", &ml), *id;
	size_t idn;
	first_id(mid, ml, &id, &idn);
	if (id) {
		sv_buf_puts(b, "Original-Message-ID: ");
		sv_buf_append(b, id, idn);
		sv_buf_putc(b, '\n');
	}
	sv_buf_puts(b, "Disposition: automatic-action/MDN-sent-automatically; deleted\n");
}

static enum sv_status mdn_try(const struct sv_compose_mdn *mdn, const struct sv_compose_ids *ids,
			      size_t cap, bool headers_only, struct sv_buf *out)
{
	struct sv_compose c;
	sv_compose_init(&c, ids, cap);
	sv_compose_date(&c, c.ids.now, c.ids.tz_minutes);
	sv_compose_address_header(&c, "From", mdn->from_display, mdn->from);
	sv_compose_address_header(&c, "To", NULL, mdn->to);
	if (mdn->subject) {
		sv_compose_header(&c, "Subject", mdn->subject, strlen(mdn->subject));
	} else {
		size_t sl;
		const char *s = field_value(mdn->orig, "Subject", &sl);
		struct sv_buf b = SV_BUF_INIT;
		sv_compose_reply_subject(&b, "Rejected: ", s, sl);
		sv_compose_header(&c, "Subject", b.p, b.len);
		sv_buf_free(&b);
	}
	sv_compose_message_id(&c, mdn->domain);
	if (c.err == SV_OK)
		reply_refs(&c, mdn->orig);
	/* RFC 3834 §5.1, as RFC 5429's example writes it */
	sv_compose_header(&c, "Auto-Submitted", "auto-replied (rejected)", 23);

	/* RFC 6522 §3, RFC 8098 §3: the report */
	struct sv_compose_part *report =
		sv_compose_multipart(&c, "report", "report-type=disposition-notification");
	sv_compose_add(&c, report,
		       sv_compose_text_part(&c, mdn->reason ? mdn->reason : "",
					    mdn->reason ? mdn->reason_len : 0));
	struct sv_buf dn = SV_BUF_INIT;
	mdn_fields(mdn, &dn);
	sv_compose_add(&c, report,
		       sv_compose_leaf_part(&c, "message/disposition-notification", dn.p, dn.len));
	sv_buf_free(&dn);
	size_t ol;
	const char *od = sv_msg_data(mdn->orig, &ol);
	sv_compose_add(&c, report, sv_compose_message_part(&c, od, ol, headers_only));
	sv_compose_set_body(&c, report);
	enum sv_status st = sv_compose_finish(&c, out);
	sv_compose_free(&c);
	return st;
}

enum sv_status sv_compose_mdn(const struct sv_compose_mdn *mdn, const struct sv_compose_ids *ids,
			      size_t cap, struct sv_buf *out)
{
	if (!mdn || !mdn->orig || !mdn->reporting_ua || !valid_ua(mdn->reporting_ua) ||
	    !mdn->final_recipient || !valid_addr(mdn->final_recipient) ||
	    (mdn->original_recipient && !valid_addr(mdn->original_recipient)))
		return SV_FAIL;
	enum sv_status st = mdn_try(mdn, ids, cap, mdn->headers_only, out);
	if (st == SV_LIMIT && !mdn->headers_only)
		st = mdn_try(mdn, ids, cap, true, out); /* the headers may fit */
	return st;
}
