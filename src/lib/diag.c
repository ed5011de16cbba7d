/*
 * diag.c: diagnostics list and gcc-style rendering (see diag.h).
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "limits.h"
#include "utf8.h"

/*
 * Every diagnostic is bounded whatever the script: a message is cut at
 * MSG_MAX bytes; a line longer than EXCERPT_CHARS characters is shown as a
 * window of that many around the column, "..." marking a cut, and the
 * caret's ~~~ run ends with the window. A compile's whole rendering stops
 * before SV_DIAG_MAX_OUTPUT bytes (limits.h).
 */
enum { EXCERPT_CHARS = 120, EXCERPT_BEFORE = 60, MSG_MAX = 1024 };

void sv_diags_init(struct sv_diags *d)
{
	memset(d, 0, sizeof *d);
}

void sv_diags_clear(struct sv_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		sv_free(d->v[i].msg);
	d->n = d->errors = d->warnings = 0;
	d->truncated = false;
}

void sv_diags_free(struct sv_diags *d)
{
	sv_diags_clear(d);
	sv_free(d->v);
	d->v = NULL;
	d->cap = 0;
}

void sv_diag_vadd(struct sv_diags *d, enum sv_severity sev, struct sv_loc loc,
		  const char *fmt, va_list ap)
{
	size_t max = d->max_errors ? d->max_errors : SV_DEFAULT_MAX_DIAGNOSTICS;
	if (sev == SV_DIAG_ERROR) {
		if (d->errors >= max) {
			d->truncated = true;
			d->errors++;
			return;
		}
		d->errors++;
	} else if (sev == SV_DIAG_WARNING) {
		if (d->warnings >= max)
			return;
		d->warnings++;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = sv_realloc(d->v, d->cap * sizeof *d->v);
	}
	struct sv_buf raw = SV_BUF_INIT, b = SV_BUF_INIT;
	sv_buf_vprintf(&raw, fmt, ap);
	/* whatever a caller quoted: no raw control bytes, cut on a character
	   boundary */
	sv_buf_put_sanitized(&b, raw.p ? raw.p : "", raw.len, MSG_MAX);
	sv_buf_free(&raw);
	if (!b.p)
		sv_buf_reserve(&b, 0);
	d->v[d->n].sev = sev;
	d->v[d->n].loc = loc;
	d->v[d->n].msg = sv_buf_steal(&b, NULL);
	d->n++;
}

void sv_diag_add(struct sv_diags *d, enum sv_severity sev, struct sv_loc loc,
		 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sv_diag_vadd(d, sev, loc, fmt, ap);
	va_end(ap);
}

static const char *sev_name(enum sv_severity sev)
{
	switch (sev) {
	case SV_DIAG_ERROR: return "error";
	case SV_DIAG_WARNING: return "warning";
	default: return "note";
	}
}

/* Byte offset of the count-th character of s (n bytes), or n. */
static size_t skip_chars(const char *s, size_t n, size_t count)
{
	size_t pos = 0;
	for (size_t c = 0; c < count && pos < n; c++)
		pos += sv_utf8_char_len(s + pos, n - pos);
	return pos;
}

/* Where rendering is in the source. Diagnostics come sorted, so the lines
 * and the characters of a long line are walked about once per compile,
 * not once per diagnostic. */
struct cursor {
	const char *src;
	size_t srclen;
	const char *at;   /* the start of line at_line */
	unsigned at_line;
	const char *ls;   /* that line without its break */
	size_t ll, total; /* its bytes and characters */
	size_t ci, bi;    /* a character index in it and its byte offset */
};

/* Move the cursor to line `line` (1-based); false when there is none. A
 * leading byte order mark is not shown: the lexer skips it too. */
static bool find_line(struct cursor *c, unsigned line)
{
	if (c->ls && c->at_line == line)
		return true;
	const char *p = c->at, *end = c->src + c->srclen;
	unsigned l = c->at_line;
	if (line < l) {
		p = c->src;
		l = 1;
	}
	for (; l < line; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return false;
		p = nl + 1;
	}
	c->at = p;
	c->at_line = l;
	if (p == c->src && c->srclen >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
	if (len && p[len - 1] == '\r')
		len--;
	c->ls = p;
	c->ll = len;
	c->total = sv_utf8_count(p, len);
	c->ci = c->bi = 0;
	return true;
}

/* Byte offset of character idx (<= total) of the cursor's line. */
static size_t char_offset(struct cursor *c, size_t idx)
{
	if (idx < c->ci)
		c->ci = c->bi = 0;
	c->bi += skip_chars(c->ls + c->bi, c->ll - c->bi, idx - c->ci);
	c->ci = idx;
	return c->bi;
}

/* Append the characters [from, to) of ls sanitised, tabs kept so the caret
 * line can copy them; with pad, append instead the blanks they occupy.
 * Returns the columns appended. */
static size_t put_chars(struct sv_buf *out, const char *ls, size_t ll, size_t from, size_t to,
			bool pad)
{
	struct sv_buf tmp = SV_BUF_INIT;
	size_t cols = 0;
	for (size_t pos = from; pos < to && pos < ll;) {
		size_t cells = 1;
		if (ls[pos] == '\t') {
			sv_buf_putc(out, '\t');
			pos++;
		} else {
			sv_buf_reset(&tmp);
			pos += sv_buf_put_sanitized_char(&tmp, ls + pos, ll - pos, &cells);
			if (!pad)
				sv_buf_append(out, tmp.p, tmp.len);
			else
				for (size_t k = 0; k < cells; k++)
					sv_buf_putc(out, ' ');
		}
		cols += cells;
	}
	sv_buf_free(&tmp);
	return cols;
}

/* The source line and the caret line of a diagnostic at loc. */
static void render_excerpt(struct sv_buf *out, struct sv_loc loc, struct cursor *cur)
{
	const char *ls = cur->ls;
	size_t ll = cur->ll, total = cur->total;
	size_t caret = loc.col ? loc.col - 1 : 0; /* character index */
	size_t first = 0, last = total;           /* the window, in characters */
	if (total > EXCERPT_CHARS) {
		first = caret > EXCERPT_BEFORE ? caret - EXCERPT_BEFORE : 0;
		if (first > total - EXCERPT_CHARS)
			first = total - EXCERPT_CHARS;
		last = first + EXCERPT_CHARS;
	}
	size_t b0 = char_offset(cur, first);
	size_t b1 = b0 + skip_chars(ls + b0, ll - b0, last - first);
	size_t bc = caret < last ? b0 + skip_chars(ls + b0, ll - b0, caret - first) : b1;
	sv_buf_printf(out, "%5u | %s", loc.line, first ? "..." : "");
	put_chars(out, ls, b1, b0, b1, false);
	sv_buf_puts(out, last < total ? "...\n" : "\n");
	sv_buf_printf(out, "      | %s", first ? "   " : "");
	put_chars(out, ls, b1, b0, bc, true);
	/* a column past the end of the line (at most one, or a few for a
	   position the window cut off) */
	for (size_t c = caret > last ? caret - last : 0, k = 0; k < c && k < EXCERPT_CHARS; k++)
		sv_buf_putc(out, ' ');
	sv_buf_putc(out, '^');
	/* the underline: the token's columns as shown, within the window;
	   past the line's end (a token that goes on) one ~ a column */
	size_t want = loc.width > 1 ? loc.width - 1 : 0, tildes = 0;
	if (caret < last) {
		size_t bn = bc + sv_utf8_char_len(ls + bc, b1 - bc);
		size_t bw = bn + skip_chars(ls + bn, b1 - bn, want);
		size_t shown = sv_utf8_count(ls + bn, bw - bn);
		/* from the caret's own character: an escape (\x01, <U+FEFF>)
		   is underlined whole */
		struct sv_buf sink = SV_BUF_INIT;
		tildes = put_chars(&sink, ls, b1, bc, bw, true) - 1;
		sv_buf_free(&sink);
		if (last == total && want > shown)
			tildes += want - shown;
	} else if (last == total) {
		tildes = want;
	}
	for (size_t k = 0; k < tildes && k < EXCERPT_CHARS; k++)
		sv_buf_putc(out, '~');
	sv_buf_putc(out, '\n');
}

void sv_diags_render(const struct sv_diags *d, struct sv_buf *out, const char *file,
		     const char *src, size_t srclen)
{
	size_t start = out->len, errors_shown = 0, i;
	struct cursor cur = {.src = src, .srclen = srclen, .at = src, .at_line = 1};
	struct sv_buf one = SV_BUF_INIT;
	for (i = 0; i < d->n; i++) {
		const struct sv_diag *g = &d->v[i];
		sv_buf_reset(&one);
		if (g->loc.line)
			sv_buf_printf(&one, "%s:%u:%u: %s: %s\n", file, g->loc.line, g->loc.col,
				      sev_name(g->sev), g->msg);
		else
			sv_buf_printf(&one, "%s: %s: %s\n", file, sev_name(g->sev), g->msg);
		if (src && g->loc.line && find_line(&cur, g->loc.line))
			render_excerpt(&one, g->loc, &cur);
		if (out->len - start + one.len > SV_DIAG_MAX_OUTPUT)
			break;
		sv_buf_append(out, one.p, one.len);
		errors_shown += g->sev == SV_DIAG_ERROR;
	}
	sv_buf_free(&one);
	if (errors_shown < d->errors)
		sv_buf_printf(out, "%s: note: too many errors; %zu more not shown\n", file,
			      d->errors - errors_shown);
	else if (i < d->n)
		sv_buf_printf(out, "%s: note: output limit reached; %zu more warnings not shown\n",
			      file, d->n - i);
}

static int cmp_diag(const void *a, const void *b)
{
	const struct sv_diag *x = a, *y = b;
	if (x->loc.line != y->loc.line)
		return x->loc.line < y->loc.line ? -1 : 1;
	if (x->loc.col != y->loc.col)
		return x->loc.col < y->loc.col ? -1 : 1;
	return 0;
}

void sv_diags_sort(struct sv_diags *d)
{
	/* insertion sort: stable, and lists are short */
	for (size_t i = 1; i < d->n; i++) {
		struct sv_diag t = d->v[i];
		size_t j = i;
		while (j > 0 && cmp_diag(&d->v[j - 1], &t) > 0) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = t;
	}
}
