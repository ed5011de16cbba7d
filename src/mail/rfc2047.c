/*
 * rfc2047.c: encoded words in header fields (RFC 2047), and the decoders
 * the rest of src/mail shares: base64 and quoted-printable (RFC 2045 §6.7,
 * §6.8) and charset conversion to UTF-8 (glibc iconv).
 *
 * RFC 2047 §2 syntax, §4.1 B, §4.2 Q ("_" is space), §6.2 (whitespace
 * between adjacent encoded words is dropped), RFC 2231 §5 (a "*lang"
 * suffix on the charset). Tolerated beyond the RFC, as real mailers need:
 * encoded words glued to neighbouring text, words inside quoted strings,
 * a multi-byte character split across adjacent words of one charset.
 * Malformed words and unknown charsets are left as written. Decoded bytes
 * that are invalid in their charset become U+FFFD; raw 8-bit text outside
 * encoded words is kept as is.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/utf8.h"
#include "mail/mail-private.h"
#include "mail/message.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* ---- shared decoders ---------------------------------------------------- */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void sv_mail_base64_decode(struct sv_buf *out, const char *s, size_t n)
{
	/* RFC 2045 §6.8: characters outside the alphabet are ignored; "="
	 * ends the data. */
	sv_buf_reserve(out, n / 4 * 3 + 3);
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '=') {
			/* padding: skip to the next quantum boundary; tolerate
			 * concatenated base64 blocks after it */
			acc = 0;
			bits = 0;
			continue;
		}
		int v = b64val(c);
		if (v < 0)
			continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->p[out->len++] = (char)((acc >> bits) & 0xff);
			if (out->cap - out->len < 2)
				sv_buf_reserve(out, 64);
		}
	}
	out->p[out->len] = '\0';
}

void sv_mail_qp_decode(struct sv_buf *out, const char *s, size_t n)
{
	sv_buf_reserve(out, n);
	size_t i = 0;
	while (i < n) {
		char c = s[i];
		if (c == '=') {
			if (i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
			    hexval((unsigned char)s[i + 2]) >= 0) {
				out->p[out->len++] =
					(char)(hexval((unsigned char)s[i + 1]) * 16 +
					       hexval((unsigned char)s[i + 2]));
				i += 3;
				continue;
			}
			/* RFC 2045 §6.7 rule 5: soft line break, "=" then
			 * optional transport padding then the line end */
			size_t j = i + 1;
			while (j < n && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (j < n && s[j] == '\r' && j + 1 < n && s[j + 1] == '\n') {
				i = j + 2;
				continue;
			}
			if (j < n && s[j] == '\n') {
				i = j + 1;
				continue;
			}
			if (j >= n) {
				i = n; /* "=" at the very end: soft break */
				continue;
			}
			/* malformed: keep as written (§6.7 note 1) */
			out->p[out->len++] = c;
			i++;
			continue;
		}
		if (c == ' ' || c == '\t') {
			/* rule 3: trailing whitespace on a line is padding */
			size_t j = i;
			while (j < n && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (j >= n || s[j] == '\n' || (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n')) {
				i = j;
				continue;
			}
			memcpy(out->p + out->len, s + i, j - i);
			out->len += j - i;
			i = j;
			continue;
		}
		out->p[out->len++] = c;
		i++;
	}
	out->p[out->len] = '\0';
}

/* The first byte at or after i that is not ASCII (n when none); eight
 * bytes at a time, as most text is ASCII. */
static size_t skip_ascii(const char *s, size_t n, size_t i)
{
	while (i + 8 <= n) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ull)
			break;
		i += 8;
	}
	while (i < n && (unsigned char)s[i] < 0x80)
		i++;
	return i;
}

/* The first byte at or after i that does not start valid UTF-8. */
static size_t skip_utf8(const char *s, size_t n, size_t i)
{
	while ((i = skip_ascii(s, n, i)) < n) {
		size_t l = sv_utf8_seq_len(s + i, n - i);
		if (!l)
			break;
		i += l;
	}
	return i;
}

void sv_mail_utf8_sanitize(struct sv_buf *out, const char *s, size_t n)
{
	size_t i = 0, run = 0;
	while ((i = skip_utf8(s, n, i)) < n) {
		sv_buf_append(out, s + run, i - run);
		sv_buf_append(out, replacement, 3);
		i++;
		run = i;
	}
	sv_buf_append(out, s + run, n - run);
}

void sv_mail_unquote(struct sv_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			/* RFC 5322 §3.2.1 quoted-pair */
			sv_buf_putc(out, s[++i]);
			continue;
		}
		/* RFC 5322 §3.2.2: folding inside the string is removed */
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		if (s[i] == '\n')
			continue;
		sv_buf_putc(out, s[i]);
	}
}

/* ---- charsets ----------------------------------------------------------- */

static bool cs_is(const char *cs, size_t n, const char *name)
{
	return sv_ascii_ieq(cs, n, name, strlen(name));
}

/* A charset name we are willing to hand to iconv: no "//" options, no
 * path characters, not absurdly long (RFC 2978 names are short). */
static bool cs_sane(const char *cs, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)cs[i];
		if (!(sv_ascii_isalpha(c) || sv_ascii_isdigit(c) || c == '-' || c == '_' || c == '.' ||
		      c == ':' || c == '+' || c == '(' || c == ')'))
			return false;
	}
	return true;
}

static bool to_utf8_iconv(struct sv_buf *out, const char *cs, size_t cslen, const char *in,
			  size_t n)
{
	char name[72];
	memcpy(name, cs, cslen);
	name[cslen] = '\0';
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return false;
	char *ip = (char *)in;
	size_t ileft = n;
	while (ileft > 0) {
		sv_buf_reserve(out, ileft * 2 + 16);
		char *op = out->p + out->len;
		size_t oleft = out->cap - out->len - 1;
		size_t r = iconv(cd, &ip, &ileft, &op, &oleft);
		out->len = (size_t)(op - out->p);
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		/* EILSEQ (invalid) or EINVAL (truncated at the end): one
		 * U+FFFD, skip a byte and go on */
		sv_buf_append(out, replacement, 3);
		if (errno != EILSEQ)
			break;
		ip++;
		ileft--;
	}
	/* return stateful charsets (ISO-2022-JP) to their initial state */
	for (int tries = 0; tries < 8; tries++) {
		sv_buf_reserve(out, 64);
		char *op = out->p + out->len;
		size_t oleft = out->cap - out->len - 1;
		size_t r = iconv(cd, NULL, NULL, &op, &oleft);
		out->len = (size_t)(op - out->p);
		if (r != (size_t)-1 || errno != E2BIG)
			break;
	}
	out->p[out->len] = '\0';
	iconv_close(cd);
	return true;
}

bool sv_mail_utf8_unchanged(const char *cs, size_t cslen, const char *in, size_t n)
{
	const char *star = memchr(cs, '*', cslen);
	if (star)
		cslen = (size_t)(star - cs);
	/* the charsets sv_mail_to_utf8 handles itself, so the answer is
	   exact: UTF-8 (and us-ascii, read as UTF-8) when valid, Latin-1
	   when all ASCII */
	if (cs_is(cs, cslen, "utf-8") || cs_is(cs, cslen, "utf8") ||
	    cs_is(cs, cslen, "us-ascii") || cs_is(cs, cslen, "ascii"))
		return skip_utf8(in, n, 0) == n;
	if (cs_is(cs, cslen, "iso-8859-1") || cs_is(cs, cslen, "latin1"))
		return skip_ascii(in, n, 0) == n;
	return false;
}

/* Grow the block to n + extra bytes (and a NUL) and widen it from the end:
 * each marked byte becomes its UTF-8 form, written backwards so that
 * nothing is read after it has been overwritten. */
static char *widen(char *p, size_t n, size_t extra, bool latin1)
{
	p = sv_realloc(p, n + extra + 1);
	char *w = p + n + extra;
	*w = '\0';
	for (size_t i = n; i-- > 0;) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x80 || (!latin1 && c != 0xff)) {
			*--w = (char)c;
		} else if (latin1) {
			*--w = (char)(0x80 | (c & 0x3f));
			*--w = (char)(0xc0 | (c >> 6));
		} else { /* 0xff: a byte marked invalid */
			w -= 3;
			memcpy(w, replacement, 3);
		}
	}
	return p;
}

bool sv_mail_to_utf8_inplace(char **p_r, size_t *n_r, const char *cs, size_t cslen)
{
	const char *star = memchr(cs, '*', cslen);
	if (star)
		cslen = (size_t)(star - cs);
	char *p = *p_r;
	size_t n = *n_r, extra = 0;
	if (cs_is(cs, cslen, "utf-8") || cs_is(cs, cslen, "utf8") ||
	    cs_is(cs, cslen, "us-ascii") || cs_is(cs, cslen, "ascii")) {
		/* mark each invalid byte 0xff (never valid UTF-8) as
		   sv_mail_utf8_sanitize would replace it; valid bytes stay */
		for (size_t i = 0; (i = skip_utf8(p, n, i)) < n; i++) {
			p[i] = (char)0xff;
			extra += 2;
		}
		if (extra)
			*p_r = widen(p, n, extra, false);
	} else if (cs_is(cs, cslen, "iso-8859-1") || cs_is(cs, cslen, "latin1")) {
		for (size_t i = 0; (i = skip_ascii(p, n, i)) < n; i++)
			extra++;
		if (extra)
			*p_r = widen(p, n, extra, true);
	} else {
		return false;
	}
	*n_r = n + extra;
	return true;
}

bool sv_mail_to_utf8(struct sv_buf *out, const char *cs, size_t cslen, const char *in, size_t n)
{
	/* RFC 2231 §5: charset*language */
	const char *star = memchr(cs, '*', cslen);
	if (star)
		cslen = (size_t)(star - cs);
	if (cs_is(cs, cslen, "utf-8") || cs_is(cs, cslen, "utf8")) {
		sv_mail_utf8_sanitize(out, in, n);
		return true;
	}
	if (cs_is(cs, cslen, "us-ascii") || cs_is(cs, cslen, "ascii")) {
		/* 8-bit bytes in us-ascii text: many mailers mislabel UTF-8 */
		sv_mail_utf8_sanitize(out, in, n);
		return true;
	}
	if (cs_is(cs, cslen, "iso-8859-1") || cs_is(cs, cslen, "latin1")) {
		sv_buf_reserve(out, n * 2);
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)in[i];
			if (c < 0x80) {
				out->p[out->len++] = (char)c;
			} else {
				out->p[out->len++] = (char)(0xc0 | (c >> 6));
				out->p[out->len++] = (char)(0x80 | (c & 0x3f));
			}
		}
		out->p[out->len] = '\0';
		return true;
	}
	if (!cs_sane(cs, cslen))
		return false;
	size_t before = out->len;
	if (!to_utf8_iconv(out, cs, cslen, in, n)) {
		out->len = before;
		return false;
	}
	return true;
}

/* ---- encoded words ------------------------------------------------------ */

struct eword {
	const char *cs;
	size_t cslen;
	char enc;        /* 'B' or 'Q' */
	const char *text;
	size_t tlen;
	size_t end;      /* offset just after "?=" */
};

/* RFC 2047 §2: "=?" charset "?" encoding "?" encoded-text "?=". The scan
 * stops at the third '?', so the total work over a string stays linear. */
static bool parse_eword(const char *s, size_t len, size_t i, struct eword *w)
{
	if (i + 1 >= len || s[i] != '=' || s[i + 1] != '?')
		return false;
	size_t j = i + 2, cs = j;
	while (j < len && s[j] != '?' && (unsigned char)s[j] > ' ' && (unsigned char)s[j] < 127)
		j++;
	if (j >= len || s[j] != '?' || j == cs || j - cs > 64)
		return false;
	w->cs = s + cs;
	w->cslen = j - cs;
	j++;
	if (j + 1 >= len || s[j + 1] != '?')
		return false;
	char e = (char)sv_ascii_upper((unsigned char)s[j]);
	if (e != 'B' && e != 'Q')
		return false;
	w->enc = e;
	j += 2;
	size_t t = j;
	while (j < len && s[j] != '?' && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && s[j] != '\n')
		j++;
	if (j + 1 >= len || s[j] != '?' || s[j + 1] != '=')
		return false;
	w->text = s + t;
	w->tlen = j - t;
	w->end = j + 2;
	return true;
}

static void decode_eword_bytes(struct sv_buf *out, const struct eword *w)
{
	if (w->enc == 'B') {
		sv_mail_base64_decode(out, w->text, w->tlen);
		return;
	}
	/* RFC 2047 §4.2 */
	for (size_t i = 0; i < w->tlen; i++) {
		char c = w->text[i];
		if (c == '_') {
			sv_buf_putc(out, ' ');
		} else if (c == '=' && i + 2 < w->tlen && hexval((unsigned char)w->text[i + 1]) >= 0 &&
			   hexval((unsigned char)w->text[i + 2]) >= 0) {
			sv_buf_putc(out, (char)(hexval((unsigned char)w->text[i + 1]) * 16 +
						hexval((unsigned char)w->text[i + 2])));
			i += 2;
		} else {
			sv_buf_putc(out, c);
		}
	}
}

/* Only check that the word is decodable: the B text is plausible base64. */
static bool eword_wellformed(const struct eword *w)
{
	if (w->enc == 'B') {
		for (size_t i = 0; i < w->tlen; i++)
			if (b64val((unsigned char)w->text[i]) < 0 && w->text[i] != '=')
				return false;
	}
	return true;
}

const char *sv_rfc2047_decode(struct sv_arena *a, const char *s, size_t len, size_t *len_r)
{
	/* fast path: nothing encoded */
	if (len < 8 || !memmem(s, len, "=?", 2)) {
		if (len_r)
			*len_r = len;
		return sv_arena_strndup(a, s, len);
	}
	struct sv_buf out = SV_BUF_INIT, pend = SV_BUF_INIT;
	/* A run: adjacent encoded words of one charset, decoded together so a
	 * character split across words survives. If the charset turns out to
	 * be unknown, the run's source (and the whitespace before it) is
	 * copied as written. */
	const char *pcs = NULL;
	size_t pcslen = 0;
	const char *run_src = NULL, *gap = NULL;
	size_t run_srclen = 0, gaplen = 0;
	size_t i = 0, lit = 0;   /* lit: start of literal text not yet copied */
	bool after_word = false; /* only whitespace since the last word */

	sv_buf_reserve(&out, len);
	sv_buf_reserve(&pend, 64);
	while (i < len) {
		struct eword w;
		if (s[i] != '=' || !parse_eword(s, len, i, &w) || !eword_wellformed(&w)) {
			if (after_word && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
				after_word = false;
			i++;
			continue;
		}
		bool same_run = after_word && pcs && sv_ascii_ieq(pcs, pcslen, w.cs, w.cslen);
		if (!same_run) {
			bool ok = true;
			if (pcs) {
				ok = sv_mail_to_utf8(&out, pcs, pcslen, pend.p, pend.len);
				if (!ok) {
					sv_buf_append(&out, gap, gaplen);
					sv_buf_append(&out, run_src, run_srclen);
				}
				sv_buf_reset(&pend);
			}
			if (after_word && ok) {
				/* RFC 2047 §6.2: whitespace between adjacent
				 * encoded words is not displayed */
				gap = s + lit;
				gaplen = i - lit;
			} else {
				sv_buf_append(&out, s + lit, i - lit);
				gap = NULL;
				gaplen = 0;
			}
			pcs = w.cs;
			pcslen = w.cslen;
			run_src = s + i;
		}
		decode_eword_bytes(&pend, &w);
		run_srclen = (size_t)(s + w.end - run_src);
		i = w.end;
		lit = i;
		after_word = true;
	}
	if (pcs) {
		if (!sv_mail_to_utf8(&out, pcs, pcslen, pend.p, pend.len)) {
			sv_buf_append(&out, gap, gaplen);
			sv_buf_append(&out, run_src, run_srclen);
		}
	}
	sv_buf_append(&out, s + lit, len - lit);
	char *r = sv_arena_strndup(a, out.p, out.len);
	if (len_r)
		*len_r = out.len;
	sv_buf_free(&out);
	sv_buf_free(&pend);
	return r;
}
