/*
 * lda.c: the message and envelope as the MTA hands them over (lda.h).
 * RFC 5322 §2.2 (header fields, folding), §3.6.7 (Return-Path), the mbox
 * "From " line as Postfix local(8) and Exim's pipe transport prepend it.
 */
#include "delivery/lda.h"

#include <string.h>

#include "lib/utf8.h"

void sv_lda_normalize(struct sv_buf *msg, struct sv_buf *from_line_r)
{
	size_t start = 0;
	if (msg->len >= 5 && memcmp(msg->p, "From ", 5) == 0) {
		const char *nl = memchr(msg->p, '\n', msg->len);
		size_t end = nl ? (size_t)(nl - msg->p) + 1 : msg->len;
		if (from_line_r) {
			size_t i = 5;
			while (i < end && msg->p[i] == ' ')
				i++;
			size_t j = i;
			while (j < end && msg->p[j] != ' ' && msg->p[j] != '\t' &&
			       msg->p[j] != '\r' && msg->p[j] != '\n')
				j++;
			/* the null sender is written MAILER-DAEMON there */
			if (j > i && !sv_ascii_ieq(msg->p + i, j - i, "MAILER-DAEMON", 13))
				sv_buf_append(from_line_r, msg->p + i, j - i);
		}
		start = end;
	}
	size_t o = 0;
	for (size_t i = start; i < msg->len; i++) {
		if (msg->p[i] == '\r' && i + 1 < msg->len && msg->p[i + 1] == '\n')
			continue;
		msg->p[o++] = msg->p[i];
	}
	msg->len = o;
	if (msg->p)
		msg->p[o] = '\0';
}

/* Calls fn for each header field (name, value with folding kept). */
/* The end of the header field that starts at i: it runs to a newline
 * not followed by white space (continuation lines belong to it). */
static size_t field_end(const char *m, size_t len, size_t i)
{
	size_t e = i;
	for (;;) {
		const char *nl = memchr(m + e, '\n', len - e);
		if (!nl)
			return len;
		e = (size_t)(nl - m) + 1;
		if (e >= len || (m[e] != ' ' && m[e] != '\t'))
			return e;
	}
}

static bool each_field(const char *m, size_t len,
		       bool (*fn)(void *ctx, const char *name, size_t nlen, const char *v,
				  size_t vlen),
		       void *ctx)
{
	size_t i = 0;
	while (i < len && m[i] != '\n') {
		size_t s = i;
		size_t e = field_end(m, len, i);
		const char *colon = memchr(m + s, ':', e - s);
		if (colon) {
			size_t nlen = (size_t)(colon - (m + s));
			while (nlen && (m[s + nlen - 1] == ' ' || m[s + nlen - 1] == '\t'))
				nlen--;
			if (fn(ctx, m + s, nlen, colon + 1, (size_t)(m + e - colon - 1)))
				return true;
		}
		i = e;
	}
	return false;
}

/* Unfolded and trimmed. */
static void unfold(const char *v, size_t len, struct sv_buf *out)
{
	sv_buf_reset(out);
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '\r' || v[i] == '\n')
			continue;
		sv_buf_putc(out, v[i]);
	}
	size_t a = 0, b = out->len;
	while (a < b && (out->p[a] == ' ' || out->p[a] == '\t'))
		a++;
	while (b > a && (out->p[b - 1] == ' ' || out->p[b - 1] == '\t'))
		b--;
	if (a)
		memmove(out->p, out->p + a, b - a);
	out->len = b - a;
	if (out->p)
		out->p[out->len] = '\0';
}

struct find {
	const char *name;
	struct sv_buf *out;
	const char *value;
	size_t count;
};

static bool find_first(void *ctx, const char *name, size_t nlen, const char *v, size_t vlen)
{
	struct find *f = ctx;
	if (!sv_ascii_ieq(name, nlen, f->name, strlen(f->name)))
		return false;
	unfold(v, vlen, f->out);
	return true;
}

bool sv_lda_header(const char *msg, size_t len, const char *name, struct sv_buf *out)
{
	struct find f = {name, out, NULL, 0};
	return each_field(msg, len, find_first, &f);
}

void sv_lda_angle_addr(const char *v, size_t len, struct sv_buf *out)
{
	sv_buf_reset(out);
	const char *lt = memchr(v, '<', len);
	const char *gt = lt ? memchr(lt, '>', len - (size_t)(lt - v)) : NULL;
	if (lt && gt) {
		sv_buf_append(out, lt + 1, (size_t)(gt - lt - 1));
	} else {
		size_t a = 0, b = len;
		while (a < b && (v[a] == ' ' || v[a] == '\t'))
			a++;
		while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t' || v[b - 1] == '\n'))
			b--;
		sv_buf_append(out, v + a, b - a);
	}
	if (!out->p)
		sv_buf_puts(out, "");
}

static bool count_field(void *ctx, const char *name, size_t nlen, const char *v, size_t vlen)
{
	struct find *f = ctx;
	if (!sv_ascii_ieq(name, nlen, f->name, strlen(f->name)))
		return false;
	if (f->value) {
		struct sv_buf u = SV_BUF_INIT, a = SV_BUF_INIT;
		unfold(v, vlen, &u);
		sv_lda_angle_addr(u.p ? u.p : "", u.len, &a);
		bool same = sv_ascii_ieq(a.p, a.len, f->value, strlen(f->value));
		sv_buf_free(&u);
		sv_buf_free(&a);
		if (!same)
			return false;
	}
	f->count++;
	return false;
}

size_t sv_lda_header_count(const char *msg, size_t len, const char *name, const char *value)
{
	struct find f = {name, NULL, value, 0};
	each_field(msg, len, count_field, &f);
	return f.count;
}

const char *sv_lda_pick(const char *const *candidates, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (candidates[i])
			return candidates[i];
	return NULL;
}

/* "<a@b>" -> "a@b", "<>" -> "" (kept in scratch, one after the other) */
static const char *strip_angles(const char *v, struct sv_buf *scratch, size_t *slot)
{
	size_t n = strlen(v);
	if (n < 2 || v[0] != '<' || v[n - 1] != '>')
		return v;
	*slot = scratch->len;
	sv_buf_append(scratch, v + 1, n - 2);
	sv_buf_putc(scratch, '\0');
	return NULL; /* read from scratch once every string is in */
}

void sv_lda_envelope(const struct sv_lda_sources *in, struct sv_lda_envelope *out,
		     struct sv_buf *scratch)
{
	sv_buf_reset(scratch);
	const char *senders[] = {in->opt_from, in->env_sender, in->from_line, in->return_path};
	const char *from = sv_lda_pick(senders, 4);
	size_t slots[3] = {0};
	bool inscratch[3] = {false};
	if (from) {
		const char *s = strip_angles(from, scratch, &slots[0]);
		inscratch[0] = !s;
		from = s;
	}
	const char *finals[] = {in->opt_final, in->env_recipient};
	const char *final = NULL;
	for (size_t i = 0; i < 2 && !final; i++)
		if (finals[i] && *finals[i])
			final = finals[i];
	const char *origs[] = {in->opt_orig, in->env_orig};
	const char *orig = NULL;
	for (size_t i = 0; i < 2 && !orig; i++)
		if (origs[i] && *origs[i])
			orig = origs[i];
	if (!orig)
		orig = final;
	if (!orig && in->user) {
		slots[1] = scratch->len;
		sv_buf_printf(scratch, "%s@%s", in->user, in->host && *in->host ? in->host : "localhost");
		sv_buf_putc(scratch, '\0');
		inscratch[1] = true;
	} else if (orig) {
		const char *s = strip_angles(orig, scratch, &slots[1]);
		inscratch[1] = !s;
		orig = s;
	}
	if (final) {
		const char *s = strip_angles(final, scratch, &slots[2]);
		inscratch[2] = !s;
		final = s;
	}
	/* the buffer may have moved while it grew: point into it at the end */
	out->from = inscratch[0] ? scratch->p + slots[0] : from;
	out->orig_to = inscratch[1] ? scratch->p + slots[1] : orig;
	out->final_to = inscratch[2] ? scratch->p + slots[2] : final ? final : out->orig_to;
}

void sv_lda_copy_without(const char *msg, size_t len, const char *name, struct sv_buf *out)
{
	size_t nl = strlen(name), i = 0;
	while (i < len && msg[i] != '\n') {
		size_t e = field_end(msg, len, i);
		const char *colon = memchr(msg + i, ':', e - i);
		size_t fl = colon ? (size_t)(colon - (msg + i)) : 0;
		while (fl && (msg[i + fl - 1] == ' ' || msg[i + fl - 1] == '\t'))
			fl--;
		if (!(colon && fl == nl && sv_ascii_ieq(msg + i, fl, name, nl)))
			sv_buf_append(out, msg + i, e - i);
		i = e;
	}
	sv_buf_append(out, msg + i, len - i);
}
