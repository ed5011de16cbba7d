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
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_vprintf(&b, fmt, ap);
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

/* Find line `line` (1-based) of src; returns its start and length. */
static bool find_line(const char *src, size_t srclen, unsigned line, const char **start_r,
		      size_t *len_r)
{
	const char *p = src, *end = src + srclen;
	for (unsigned l = 1; l < line; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return false;
		p = nl + 1;
	}
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
	if (len && p[len - 1] == '\r')
		len--;
	*start_r = p;
	*len_r = len;
	return true;
}

void sv_diags_render(const struct sv_diags *d, struct sv_buf *out, const char *file,
		     const char *src, size_t srclen)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct sv_diag *g = &d->v[i];
		if (g->loc.line)
			sv_buf_printf(out, "%s:%u:%u: %s: %s\n", file, g->loc.line, g->loc.col,
				      sev_name(g->sev), g->msg);
		else
			sv_buf_printf(out, "%s: %s: %s\n", file, sev_name(g->sev), g->msg);
		const char *ls;
		size_t ll;
		if (!src || !g->loc.line || !find_line(src, srclen, g->loc.line, &ls, &ll))
			continue;
		sv_buf_printf(out, "%5u | ", g->loc.line);
		/* the line as written (tabs kept, so the caret lines up), other
		   control characters and bad UTF-8 escaped */
		for (size_t k = 0; k < ll && k < 4096;) {
			size_t run = k;
			while (run < ll && ls[run] != '\t')
				run++;
			sv_buf_put_sanitized(out, ls + k, run - k, 4096);
			if (run < ll)
				sv_buf_putc(out, '\t');
			k = run + 1;
		}
		sv_buf_puts(out, "\n      | ");
		/* walk col-1 code points, copying tabs so the caret lines up */
		size_t pos = 0;
		for (unsigned c = 1; c < g->loc.col && pos < ll; c++) {
			sv_buf_putc(out, ls[pos] == '\t' ? '\t' : ' ');
			size_t l = (unsigned char)ls[pos] < 0x80 ? 1 : sv_utf8_seq_len(ls + pos, ll - pos);
			pos += l ? l : 1;
		}
		sv_buf_putc(out, '^');
		for (unsigned w = 1; w < g->loc.width && w < 200; w++)
			sv_buf_putc(out, '~');
		sv_buf_putc(out, '\n');
	}
	if (d->truncated)
		sv_buf_printf(out, "%s: note: too many errors; %zu more not shown\n", file,
			      d->errors - (d->max_errors ? d->max_errors : SV_DEFAULT_MAX_DIAGNOSTICS));
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
