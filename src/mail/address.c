/*
 * address.c: address lists of header fields (RFC 5322 §3.4, §3.4.1 and the
 * obsolete forms of §4.4) and envelope paths (RFC 5321 §4.1.2).
 *
 * Handled: "Name <a@b>", "a@b (comment)", quoted local parts (returned
 * unquoted, quoted-pairs undone), groups (flattened into their members; an
 * empty group yields nothing), comments anywhere (nested), obsolete routes
 * "<@r1,@r2:a@b>", domain literals "a@[1.2.3.4]", obsolete "a . b @ c"
 * spacing, display names decoded with RFC 2047, ";" used as a list
 * separator outside a group. Consecutive dots in a local part ("a..b@c",
 * common in the wild) are accepted.
 *
 * Conventions: addr is local "@" domain rebuilt from the unquoted local part,
 * so "\"a b\"@c" gives addr "a b@c". An address without "@" is not an
 * addr-spec: valid=false, local and addr hold the (unquoted) local part,
 * domain is NULL. Anything else that does not parse gives valid=false with
 * the element's raw text, trimmed, in addr. "<>" (a null path, as in
 * Return-Path: <>) gives valid=true, an empty local part and a NULL domain.
 *
 * Envelope paths come in two strengths: sv_addr_parse_path reads an
 * addr-spec with or without angle brackets as leniently as a header
 * address (for redirect targets); sv_addr_parse_smtp_path reads the RFC
 * 5321 §4.1.2 grammar (with RFC 6531's UTF-8) exactly, as the MTA that
 * accepted the path did, for the envelope test.
 *
 * Everything is linear in the input: one tokenizing pass (comments nest by
 * counting, no recursion), one pass over the tokens.
 */
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/utf8.h"
#include "mail/mail-private.h"
#include "mail/message.h"

enum tk {
	T_ATOM,    /* RFC 5322 §3.2.3 atext run (8-bit bytes included, RFC 6532) */
	T_QSTR,    /* §3.2.4 quoted-string; span includes the quotes */
	T_DLIT,    /* §3.4.1 domain literal; span includes the brackets */
	T_COMMENT, /* §3.2.2; span without the outer parentheses */
	T_SPECIAL, /* one of < > @ , ; : . */
	T_BAD,     /* anything else: control characters, stray ) ] \ */
};

struct tok {
	enum tk type;
	size_t s, e; /* span in the input */
	bool sp;     /* whitespace or a comment precedes it */
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

static void push(struct toks *t, enum tk type, size_t s, size_t e, bool sp)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->v = sv_realloc(t->v, t->cap * sizeof *t->v);
	}
	t->v[t->n++] = (struct tok){type, s, e, sp};
}

static bool is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true; /* RFC 6532 §3.2: UTF-8 (and, tolerated, other 8-bit) */
	if (c <= ' ' || c == 127)
		return false;
	return !strchr("()<>[]:;@\\,.\"", c);
}

static void tokenize(const char *s, size_t len, struct toks *t)
{
	size_t i = 0;
	bool sp = false;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (is_wsp(c)) {
			sp = true;
			i++;
		} else if (c == '(') {
			/* RFC 5322 §3.2.2: comments nest; count, do not recurse */
			size_t depth = 1, st = ++i;
			while (i < len && depth) {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				else if (s[i] == '(')
					depth++;
				else if (s[i] == ')')
					depth--;
				i++;
			}
			push(t, T_COMMENT, st, depth ? i : i - 1, sp);
			sp = true;
		} else if (c == '"') {
			size_t st = i++;
			while (i < len && s[i] != '"') {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				i++;
			}
			/* an unterminated string runs to the end and is bad */
			bool closed = i < len;
			if (closed)
				i++;
			push(t, closed ? T_QSTR : T_BAD, st, i, sp);
			sp = false;
		} else if (c == '[') {
			size_t st = i++;
			while (i < len && s[i] != ']' && s[i] != '[') {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				i++;
			}
			bool closed = i < len && s[i] == ']';
			if (closed)
				i++;
			push(t, closed ? T_DLIT : T_BAD, st, i, sp);
			sp = false;
		} else if (strchr("<>@,;:.", c) && c) {
			push(t, T_SPECIAL, i, i + 1, sp);
			i++;
			sp = false;
		} else if (is_atext(c)) {
			size_t st = i;
			while (i < len && is_atext((unsigned char)s[i]))
				i++;
			push(t, T_ATOM, st, i, sp);
			sp = false;
		} else {
			push(t, T_BAD, i, i + 1, sp);
			i++;
			sp = false;
		}
	}
}

static bool is_sp(const char *s, const struct tok *t, char c)
{
	return t->type == T_SPECIAL && s[t->s] == c;
}

/* The text of a token as a word: quoted strings unquoted. */
static void put_word(struct sv_buf *b, const char *s, const struct tok *t)
{
	if (t->type == T_QSTR) {
		size_t st = t->s + 1, e = t->e;
		if (e > st && s[e - 1] == '"' && e - 1 >= st)
			e--;
		sv_mail_unquote(b, s + st, e - st);
	} else {
		sv_buf_append(b, s + t->s, t->e - t->s);
	}
}

struct parsed {
	bool valid, has_at, local_ok;
	struct sv_buf local, domain;
};

/* RFC 5322 §3.4.1 addr-spec and §4.4 obs-local-part / obs-domain over the
 * comment-free tokens tv[0..n). */
static void parse_addr_spec(const char *s, struct tok **tv, size_t n, struct parsed *p)
{
	size_t k = 0;
	bool ok = true, want_word = true;
	p->has_at = false;
	while (k < n && !is_sp(s, tv[k], '@')) {
		const struct tok *t = tv[k];
		if (t->type == T_ATOM || t->type == T_QSTR) {
			if (!want_word)
				ok = false; /* two words without a dot */
			put_word(&p->local, s, t);
			want_word = false;
		} else if (is_sp(s, t, '.')) {
			if (k == 0)
				ok = false;
			sv_buf_putc(&p->local, '.');
			want_word = true;
		} else {
			ok = false;
			sv_buf_append(&p->local, s + t->s, t->e - t->s);
		}
		k++;
	}
	if (want_word || p->local.len == 0)
		ok = false;
	p->local_ok = ok;
	if (k < n) {
		p->has_at = true;
		k++;
		if (k < n && tv[k]->type == T_DLIT) {
			sv_buf_append(&p->domain, s + tv[k]->s, tv[k]->e - tv[k]->s);
			k++;
		} else {
			want_word = true;
			while (k < n && (tv[k]->type == T_ATOM || is_sp(s, tv[k], '.'))) {
				bool dot = tv[k]->type != T_ATOM;
				if (dot == want_word)
					ok = false;
				sv_buf_append(&p->domain, s + tv[k]->s, tv[k]->e - tv[k]->s);
				want_word = dot;
				k++;
			}
			if (want_word)
				ok = false;
		}
		if (k != n)
			ok = false;
	}
	p->valid = ok && p->has_at && p->domain.len > 0;
}

struct list {
	struct sv_addr *v;
	size_t n, cap;
};

static struct sv_addr *add(struct list *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = sv_realloc(l->v, l->cap * sizeof *l->v);
	}
	struct sv_addr *a = &l->v[l->n++];
	memset(a, 0, sizeof *a);
	return a;
}

static void set_raw(struct sv_arena *a, struct sv_addr *ad, const char *s, size_t st, size_t e)
{
	while (st < e && is_wsp((unsigned char)s[st]))
		st++;
	while (e > st && is_wsp((unsigned char)s[e - 1]))
		e--;
	ad->addr = sv_arena_strndup(a, s + st, e - st);
	ad->alen = e - st;
}

/* Fill ad from a parsed addr-spec; raw span [rs, re) for invalid ones. */
static void fill(struct sv_arena *a, struct sv_addr *ad, struct parsed *p, const char *s,
		 size_t rs, size_t re, bool bare_local)
{
	ad->valid = p->valid;
	if (p->valid || (bare_local && !p->has_at && p->local_ok)) {
		ad->local = sv_arena_strndup(a, p->local.p ? p->local.p : "", p->local.len);
		ad->llen = p->local.len;
		if (p->has_at) {
			ad->domain = sv_arena_strndup(a, p->domain.p, p->domain.len);
			ad->dlen = p->domain.len;
		}
		size_t alen = ad->llen + (ad->domain ? 1 + ad->dlen : 0);
		char *buf = sv_arena_alloc(a, alen + 1);
		memcpy(buf, ad->local, ad->llen);
		if (ad->domain) {
			buf[ad->llen] = '@';
			memcpy(buf + ad->llen + 1, ad->domain, ad->dlen);
		}
		buf[alen] = '\0';
		ad->addr = buf;
		ad->alen = alen;
	} else {
		ad->local = "";
		set_raw(a, ad, s, rs, re);
	}
}

static void set_display(struct sv_arena *a, struct sv_addr *ad, struct sv_buf *b)
{
	size_t st = 0, e = b->len;
	while (st < e && is_wsp((unsigned char)b->p[st]))
		st++;
	while (e > st && is_wsp((unsigned char)b->p[e - 1]))
		e--;
	if (st == e)
		return;
	ad->display = sv_rfc2047_decode(a, b->p + st, e - st, &ad->displen);
}

/* One element of the list: tokens [ts, te) (comments included). */
static void element(struct sv_arena *a, const char *s, struct toks *t, size_t ts, size_t te,
		    struct list *out, struct tok **scratch)
{
	size_t n = 0;
	struct tok *comment = NULL;
	for (size_t k = ts; k < te; k++) {
		if (t->v[k].type == T_COMMENT)
			comment = &t->v[k];
		else
			scratch[n++] = &t->v[k];
	}
	if (n == 0)
		return; /* nothing but comments: no address */
	size_t la = 0;
	while (la < n && !is_sp(s, scratch[la], '<'))
		la++;
	struct parsed p = {false, false, false, SV_BUF_INIT, SV_BUF_INIT};
	struct sv_buf disp = SV_BUF_INIT;
	struct sv_addr *ad = add(out);

	if (la < n) {
		/* RFC 5322 §3.4 name-addr: [display-name] angle-addr */
		for (size_t k = 0; k < la; k++) {
			if (disp.len && scratch[k]->sp)
				sv_buf_putc(&disp, ' ');
			put_word(&disp, s, scratch[k]);
		}
		size_t ra = la + 1;
		while (ra < n && !is_sp(s, scratch[ra], '>'))
			ra++;
		size_t is = la + 1;
		bool ok = true;
		if (is < ra && is_sp(s, scratch[is], '@')) {
			/* RFC 5322 §4.4 obs-route: skip "@a,@b:" */
			while (is < ra && !is_sp(s, scratch[is], ':'))
				is++;
			if (is < ra)
				is++;
			else
				ok = false;
		}
		size_t rs = scratch[la]->e, re = ra < n ? scratch[ra]->s : scratch[n - 1]->e;
		if (ok && is == ra && ra == la + 1) {
			/* "<>": the null path */
			ad->valid = true;
			ad->local = ad->addr = "";
		} else if (ok) {
			parse_addr_spec(s, scratch + is, ra - is, &p);
			fill(a, ad, &p, s, rs, re, true);
		} else {
			ad->local = "";
			set_raw(a, ad, s, rs, re);
		}
		set_display(a, ad, &disp);
	} else {
		parse_addr_spec(s, scratch, n, &p);
		fill(a, ad, &p, s, scratch[0]->s, scratch[n - 1]->e, true);
		if (p.valid && comment) {
			/* obsolete "a@b (Name)": the comment names the mailbox */
			sv_mail_unquote(&disp, s + comment->s, comment->e - comment->s);
			set_display(a, ad, &disp);
		}
	}
	sv_buf_free(&p.local);
	sv_buf_free(&p.domain);
	sv_buf_free(&disp);
}

void sv_addr_parse_list(struct sv_arena *a, const char *s, size_t len, struct sv_addr_list *out)
{
	struct toks t = {NULL, 0, 0};
	struct list l = {NULL, 0, 0};
	out->v = NULL;
	out->n = 0;
	if (!s)
		return;
	tokenize(s, len, &t);
	struct tok **scratch = t.n ? sv_malloc(t.n * sizeof *scratch) : NULL;
	bool in_group = false;
	size_t i = 0;
	while (i < t.n) {
		size_t start = i;
		size_t depth = 0;
		bool seen = false, route = false;
		while (i < t.n) {
			const struct tok *k = &t.v[i];
			if (k->type == T_SPECIAL) {
				char c = s[k->s];
				if (c == '<') {
					depth++;
					seen = true;
					/* obs-route: a comma inside <...> belongs to it */
					size_t j = i + 1;
					while (j < t.n && t.v[j].type == T_COMMENT)
						j++;
					route = j < t.n && is_sp(s, &t.v[j], '@');
				} else if (c == '>') {
					if (depth)
						depth--;
					route = false;
				} else if (c == '@') {
					seen = true;
				} else if (c == ':' && route) {
					route = false;
				} else if ((c == ',' && !(depth && route)) || (c == ';' && !depth)) {
					break;
				} else if (c == ':' && !depth && !in_group && !seen) {
					/* RFC 5322 §3.4 group: display-name ":" the
					 * name is dropped, the members follow */
					in_group = true;
					start = i + 1;
				}
			}
			i++;
		}
		element(a, s, &t, start, i, &l, scratch);
		if (i < t.n) {
			if (s[t.v[i].s] == ';')
				in_group = false;
			i++;
		}
	}
	if (l.n) {
		out->v = sv_arena_array(a, l.n, sizeof *out->v);
		memcpy(out->v, l.v, l.n * sizeof *out->v);
		out->n = l.n;
	}
	sv_free(l.v);
	sv_free(scratch);
	sv_free(t.v);
}

/* Start parsing a path alone: out empty, [*st_r, *e_r) the text of s
 * without the whitespace around it. */
static void path_begin(const char *s, size_t len, struct sv_addr *out, size_t *st_r, size_t *e_r)
{
	memset(out, 0, sizeof *out);
	out->local = out->addr = "";
	size_t st = 0, e = s ? len : 0;
	while (st < e && is_wsp((unsigned char)s[st]))
		st++;
	while (e > st && is_wsp((unsigned char)s[e - 1]))
		e--;
	*st_r = st;
	*e_r = e;
}

bool sv_addr_parse_path(struct sv_arena *a, const char *s, size_t len, struct sv_addr *out)
{
	size_t st, e;
	path_begin(s, len, out, &st, &e);
	if (st < e && s[st] == '<') {
		/* RFC 5321 §4.1.2 Path = "<" [ A-d-l ":" ] Mailbox ">" */
		if (e - st < 2 || s[e - 1] != '>') {
			set_raw(a, out, s, st, e);
			return false;
		}
		st++;
		e--;
	}
	if (st == e) {
		/* "<>" (or nothing): the null reverse-path */
		out->valid = true;
		return true;
	}
	if (s[st] == '@') {
		/* source route, RFC 5321 §4.1.2 and Appendix C: ignored */
		const char *colon = memchr(s + st, ':', e - st);
		if (!colon) {
			set_raw(a, out, s, st, e);
			return false;
		}
		st = (size_t)(colon - s) + 1;
	}
	struct toks t = {NULL, 0, 0};
	tokenize(s + st, e - st, &t);
	struct tok **tv = t.n ? sv_malloc(t.n * sizeof *tv) : NULL;
	bool clean = true;
	for (size_t k = 0; k < t.n; k++) {
		tv[k] = &t.v[k];
		if (t.v[k].type == T_COMMENT || t.v[k].type == T_BAD || t.v[k].sp ||
		    is_sp(s + st, &t.v[k], '<') || is_sp(s + st, &t.v[k], '>'))
			clean = false;
	}
	struct parsed p = {false, false, false, SV_BUF_INIT, SV_BUF_INIT};
	parse_addr_spec(s + st, tv, t.n, &p);
	fill(a, out, &p, s + st, 0, e - st, true);
	bool valid = p.valid && clean;
	/* RFC 5321 §4.1.1.3: "Postmaster" without a domain is a valid
	 * forward-path */
	if (clean && !p.has_at && sv_ascii_ieq(p.local.p, p.local.len, "postmaster", 10))
		valid = true;
	out->valid = valid;
	if (!valid && !(p.local_ok && !p.has_at))
		set_raw(a, out, s, st, e);
	sv_buf_free(&p.local);
	sv_buf_free(&p.domain);
	sv_free(tv);
	sv_free(t.v);
	return valid;
}

/* ---- envelope paths as SMTP sees them (RFC 5321 §4.1.2, RFC 6531 §3.3) ----
 *
 * Strict: this is the grammar an MTA accepted the path by, so what does
 * not follow it gives no address rather than a guessed one. No comments,
 * no whitespace inside, no obsolete forms. */

/* RFC 6531 §3.3 UTF8-non-ascii: the length of a well-formed UTF-8
 * sequence of a non-ASCII character at s[i], 0 when there is none. */
static size_t utf8_non_ascii(const char *s, size_t i, size_t n)
{
	if ((unsigned char)s[i] < 0x80)
		return 0;
	return sv_utf8_seq_len(s + i, n - i);
}

/* RFC 5321 §4.1.2 atext (RFC 5322 §3.2.3), RFC 6531 §3.3: or UTF-8 */
static size_t smtp_atext(const char *s, size_t i, size_t n)
{
	unsigned char c = (unsigned char)s[i];
	if (c >= 0x80)
		return utf8_non_ascii(s, i, n);
	if (sv_ascii_isalpha(c) || sv_ascii_isdigit(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c)))
		return 1;
	return 0;
}

/* Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str]
 * (no hyphen first or last), or a U-label (RFC 6531 §3.3). Scans from *i
 * to the first character that cannot continue it. */
static bool smtp_domain(const char *s, size_t *i, size_t n)
{
	for (;;) {
		size_t st = *i;
		bool hyphen_last = false;
		while (*i < n) {
			unsigned char c = (unsigned char)s[*i];
			size_t l = c >= 0x80 ? utf8_non_ascii(s, *i, n) : 0;
			if (c >= 0x80 && !l)
				return false;
			if (!l && !sv_ascii_isalpha(c) && !sv_ascii_isdigit(c) && c != '-')
				break;
			if (*i == st && c == '-')
				return false;
			hyphen_last = c == '-';
			*i += l ? l : 1;
		}
		if (*i == st || hyphen_last)
			return false;
		if (*i + 1 < n && s[*i] == '.') {
			(*i)++;
			continue;
		}
		return true;
	}
}

/* address-literal = "[" 1*dcontent "]" (the forms of RFC 5321 §4.1.3 are
 * all made of dcontent: %d33-90 / %d94-126) */
static bool smtp_address_literal(const char *s, size_t *i, size_t n)
{
	size_t k = *i + 1;
	while (k < n && ((s[k] >= 33 && s[k] <= 90) || (s[k] >= 94 && s[k] <= 126)))
		k++;
	if (k == *i + 1 || k >= n || s[k] != ']')
		return false;
	*i = k + 1;
	return true;
}

/* Local-part = Dot-string / Quoted-string, into out (unquoted). */
static bool smtp_local_part(const char *s, size_t *i, size_t n, struct sv_buf *out)
{
	if (*i < n && s[*i] == '"') {
		/* QcontentSMTP = qtextSMTP / quoted-pairSMTP (%d92 %d32-126) */
		size_t k = *i + 1;
		sv_buf_append(out, "", 0);
		while (k < n && s[k] != '"') {
			unsigned char c = (unsigned char)s[k];
			size_t l = c >= 0x80 ? utf8_non_ascii(s, k, n) : (c >= 32 && c <= 126) ? 1 : 0;
			if (!l)
				return false;
			if (c == '\\') {
				if (k + 1 >= n || s[k + 1] < 32 || s[k + 1] > 126)
					return false;
				k++;
			}
			sv_buf_append(out, s + k, l);
			k += l;
		}
		if (k >= n)
			return false;
		*i = k + 1;
		return true;
	}
	/* Dot-string = Atom *("." Atom) */
	for (;;) {
		size_t st = *i, l;
		while (*i < n && (l = smtp_atext(s, *i, n)) > 0)
			*i += l;
		if (*i == st)
			return false;
		sv_buf_append(out, s + st, *i - st);
		if (*i < n && s[*i] == '.') {
			sv_buf_putc(out, '.');
			(*i)++;
			continue;
		}
		return true;
	}
}

bool sv_addr_parse_smtp_path(struct sv_arena *a, const char *s, size_t len, struct sv_addr *out)
{
	size_t st, e;
	path_begin(s, len, out, &st, &e);
	size_t i = st, n = e;
	if (i < n && s[i] == '<') {
		/* Path = "<" [ A-d-l ":" ] Mailbox ">" */
		if (n - i < 2 || s[n - 1] != '>')
			goto invalid;
		i++;
		n--;
	}
	if (i == n) {
		/* "<>" (or nothing): the null reverse-path */
		out->valid = true;
		return true;
	}
	if (s[i] == '@') {
		/* A-d-l = At-domain *( "," At-domain ) ":": a source route,
		 * which RFC 5321 §4.1.2 and Appendix C say to ignore */
		for (;;) {
			i++;
			if (!smtp_domain(s, &i, n) || i >= n)
				goto invalid;
			if (s[i] == ':')
				break;
			if (s[i] != ',' || i + 1 >= n || s[i + 1] != '@')
				goto invalid;
			i++;
		}
		i++;
	}
	struct sv_buf local = SV_BUF_INIT;
	bool ok = smtp_local_part(s, &i, n, &local);
	size_t ds = 0, de = 0;
	bool has_domain = ok && i < n && s[i] == '@';
	if (has_domain) {
		ds = ++i;
		ok = i < n && (s[i] == '[' ? smtp_address_literal(s, &i, n) : smtp_domain(s, &i, n));
		de = i;
	} else if (ok) {
		/* a local part alone, as a mail system hands over local
		 * recipients and senders ("postmaster", RFC 5321 §4.1.1.3) */
		ok = local.len > 0;
	}
	if (!ok || i != n) {
		sv_buf_free(&local);
		goto invalid;
	}
	out->local = sv_arena_strndup(a, local.p ? local.p : "", local.len);
	out->llen = local.len;
	if (has_domain) {
		out->domain = sv_arena_strndup(a, s + ds, de - ds);
		out->dlen = de - ds;
		struct sv_buf all = SV_BUF_INIT;
		sv_buf_append(&all, local.p ? local.p : "", local.len);
		sv_buf_putc(&all, '@');
		sv_buf_append(&all, s + ds, de - ds);
		out->addr = sv_arena_strndup(a, all.p, all.len);
		out->alen = all.len;
		sv_buf_free(&all);
	} else {
		out->addr = out->local;
		out->alen = out->llen;
	}
	out->valid = true;
	sv_buf_free(&local);
	return true;
invalid:
	/* no address: only the text as it was given (RFC 5228 §2.7.4) */
	set_raw(a, out, s, st, e);
	return false;
}
