/*
 * mime.c: the MIME tree of a message, parsed on first use.
 *
 * RFC 2045 §5 (Content-Type, defaults of §5.2), §6 (Content-Transfer-
 * Encoding: base64 §6.8, quoted-printable §6.7); RFC 2046 §5.1.1 (multipart
 * boundaries), §5.1.5 (multipart/digest defaults to message/rfc822), §5.2.1
 * (message/rfc822); RFC 2183 (Content-Disposition); RFC 2231 §3, §4
 * (parameter continuations and charset/language encoding).
 *
 * Tolerated: a missing close delimiter, garbage in base64, malformed
 * quoted-printable, base64- or quoted-printable-encoded message/rfc822
 * parts, RFC 2047 in filenames, a filename only in Content-Type's "name".
 *
 * Bounded, never skipped: the settings max-mime-parts and max-mime-depth
 * (limits.h) bound the tree, and recursion is bounded by max-mime-depth.
 * Past them nothing is dropped: once max-mime-parts parts are split off,
 * the rest of the enclosing part's body, from the first part not yet split
 * off to its end (close delimiter and epilogue included), becomes one last
 * child that is not divided further; a multipart or message/rfc822 part at
 * max-mime-depth (and a multipart without a boundary) is not divided
 * either. Such a part is flagged undivided: its text is its content with
 * its own transfer encoding undone and no charset conversion (the rest
 * part has no header, so it stands as it is), followed by the decoded
 * content of every base64 or quoted-printable part directly inside it; the
 * body test searches it for :text and for every :content type, so a
 * payload hidden past a limit is still seen as text. Encoded parts nested
 * further down inside it are searched only as they stand. The rest part is reported as
 * text/plain without a charset. Each open multipart level may add one rest
 * part, so a tree has at most max-mime-parts + max-mime-depth parts.
 *
 * Memory: decoded text is made on demand. sv_msg_part_text_use keeps it
 * only within a small budget (TEXT_CACHE_BUDGET for the whole message);
 * larger texts live for one test and are freed after matching. Text that
 * needs no decoding or conversion is the message's own bytes, not a copy;
 * decoded UTF-8, US-ASCII and Latin-1 text is converted in its own block
 * (other charsets go through iconv into a second one). So one delivery
 * peaks at the message plus its largest part's text.
 *
 * Not done: message/partial reassembly, message/external-body; matching a
 * huge encoded part in bounded pieces (its decoded text is made whole).
 */
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/utf8.h"
#include "mail/mail-private.h"
#include "mail/message.h"

#define MAX_SECTIONS 1000 /* RFC 2231 continuations of one parameter */
/* Decoded texts kept for later tests, bytes per message; beyond it a text
 * lives for one test only. */
#define TEXT_CACHE_BUDGET (1024u * 1024u)

struct ctx {
	struct sv_msg *m;
	uint64_t nparts;
};

/* ---- structured field values (RFC 2045 §5.1, RFC 2183 §2) -------------- */

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 §5.1: token := 1*<any CHAR except SPACE, CTLs, or tspecials> */
static bool is_token(unsigned char c)
{
	if (c <= ' ' || c >= 127)
		return false;
	return !strchr("()<>@,;:\\\"/[]?=", c);
}

/* Skip whitespace and (nested) comments. */
static void skip_cfws(const char *s, size_t n, size_t *i)
{
	while (*i < n) {
		if (is_wsp(s[*i])) {
			(*i)++;
		} else if (s[*i] == '(') {
			size_t depth = 1;
			(*i)++;
			while (*i < n && depth) {
				if (s[*i] == '\\' && *i + 1 < n)
					(*i)++;
				else if (s[*i] == '(')
					depth++;
				else if (s[*i] == ')')
					depth--;
				(*i)++;
			}
		} else {
			break;
		}
	}
}

static const char *lower_dup(struct sv_arena *a, const char *s, size_t n)
{
	char *r = sv_arena_strndup(a, s, n);
	for (size_t i = 0; i < n; i++)
		r[i] = (char)sv_ascii_lower((unsigned char)r[i]);
	return r;
}

struct param {
	const char *attr; /* lowercased, without the RFC 2231 suffix */
	size_t alen;
	int section;      /* -1: none */
	bool extended;    /* "*" at the end: charset'lang'%XX encoded */
	const char *val;
	size_t vlen;
};

struct params {
	struct param *v;
	size_t n, cap;
};

/* Parse "; attr=value" pairs from s[i..n). Values stay in arena memory. */
static void parse_params(struct sv_arena *a, const char *s, size_t n, size_t i, struct params *ps)
{
	while (i < n) {
		/* to the next ';' (tolerant of junk before it) */
		while (i < n && s[i] != ';') {
			if (s[i] == '"') {
				i++;
				while (i < n && s[i] != '"') {
					if (s[i] == '\\' && i + 1 < n)
						i++;
					i++;
				}
			}
			if (i < n)
				i++;
		}
		if (i >= n)
			break;
		i++;
		skip_cfws(s, n, &i);
		size_t as = i;
		while (i < n && (is_token((unsigned char)s[i]) || s[i] == '*'))
			i++;
		size_t ae = i;
		skip_cfws(s, n, &i);
		if (ae == as || i >= n || s[i] != '=')
			continue;
		i++;
		skip_cfws(s, n, &i);
		struct sv_buf v = SV_BUF_INIT;
		sv_buf_append(&v, "", 0);
		if (i < n && s[i] == '"') {
			size_t vs = ++i;
			while (i < n && s[i] != '"') {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				i++;
			}
			sv_mail_unquote(&v, s + vs, i - vs);
			if (i < n)
				i++;
		} else {
			/* tolerant: anything up to ';' (e.g. unquoted '/' or
			 * spaces in names), trailing whitespace trimmed */
			size_t vs = i;
			while (i < n && s[i] != ';')
				i++;
			size_t ve = i;
			/* a comment after the value: "iso-8859-1 (latin)" */
			for (size_t k = vs + 1; k < ve; k++)
				if (s[k] == '(' && is_wsp(s[k - 1])) {
					ve = k;
					break;
				}
			while (ve > vs && is_wsp(s[ve - 1]))
				ve--;
			sv_buf_append(&v, s + vs, ve - vs);
		}
		/* RFC 2231 §3, §4: attr*N, attr*N*, attr* */
		struct param p = {NULL, 0, -1, false, NULL, 0};
		size_t e = ae;
		if (e > as && s[e - 1] == '*') {
			p.extended = true;
			e--;
		}
		const char *star = memchr(s + as, '*', e - as);
		if (star) {
			size_t ds = (size_t)(star - s) + 1;
			int sec = 0;
			bool ok = ds < e;
			for (size_t k = ds; k < e && ok; k++) {
				if (!sv_ascii_isdigit((unsigned char)s[k]) || sec > MAX_SECTIONS)
					ok = false;
				else
					sec = sec * 10 + (s[k] - '0');
			}
			if (!ok || (sec > 0 && s[ds] == '0')) {
				sv_buf_free(&v);
				continue;
			}
			p.section = sec;
			e = (size_t)(star - s);
		}
		if (e == as) {
			sv_buf_free(&v);
			continue;
		}
		p.attr = lower_dup(a, s + as, e - as);
		p.alen = e - as;
		p.val = sv_arena_strndup(a, v.p, v.len);
		p.vlen = v.len;
		sv_buf_free(&v);
		if (ps->n == ps->cap) {
			ps->cap = ps->cap ? ps->cap * 2 : 8;
			ps->v = sv_realloc(ps->v, ps->cap * sizeof *ps->v);
		}
		ps->v[ps->n++] = p;
	}
}

static int hexval(unsigned char x)
{
	if (x >= '0' && x <= '9')
		return x - '0';
	if (x >= 'a' && x <= 'f')
		return x - 'a' + 10;
	if (x >= 'A' && x <= 'F')
		return x - 'A' + 10;
	return -1;
}

/* RFC 2231 §4: %XX octets; a malformed '%' is kept as written */
static void pct_decode(struct sv_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			sv_buf_putc(out, (char)(hexval((unsigned char)s[i + 1]) * 16 +
						hexval((unsigned char)s[i + 2])));
			i += 2;
			continue;
		}
		sv_buf_putc(out, s[i]);
	}
}

/* The value of parameter name (lowercase), RFC 2231 forms preferred and
 * converted to UTF-8; NULL when absent. *rfc2231_r tells whether the value
 * came from an RFC 2231 form (then RFC 2047 decoding must not apply). */
static const char *param_get(struct sv_arena *a, const struct params *ps, const char *name,
			     bool *rfc2231_r)
{
	size_t nl = strlen(name);
	const struct param *plain = NULL, *ext = NULL;
	int maxsec = -1;
	for (size_t i = 0; i < ps->n; i++) {
		const struct param *p = &ps->v[i];
		if (p->alen != nl || memcmp(p->attr, name, nl) != 0)
			continue;
		if (p->section < 0 && !p->extended) {
			if (!plain)
				plain = p;
		} else if (p->section < 0) {
			if (!ext)
				ext = p;
		} else if (p->section > maxsec) {
			maxsec = p->section;
		}
	}
	*rfc2231_r = false;
	struct sv_buf raw = SV_BUF_INIT, out = SV_BUF_INIT;
	const char *cs = NULL;
	size_t cslen = 0;
	if (ext) {
		/* RFC 2231 §4: charset'language'value */
		const char *q1 = memchr(ext->val, '\'', ext->vlen);
		const char *q2 = q1 ? memchr(q1 + 1, '\'', ext->vlen - (size_t)(q1 + 1 - ext->val))
				    : NULL;
		const char *v = ext->val;
		if (q2) {
			cs = ext->val;
			cslen = (size_t)(q1 - ext->val);
			v = q2 + 1;
		}
		pct_decode(&raw, v, ext->vlen - (size_t)(v - ext->val));
	} else if (maxsec >= 0) {
		/* RFC 2231 §3: continuations, in section order, stopping at
		 * the first missing one */
		size_t nsec = (size_t)maxsec + 1;
		const struct param **sec = sv_calloc(nsec, sizeof *sec);
		for (size_t i = 0; i < ps->n; i++) {
			const struct param *p = &ps->v[i];
			if (p->alen == nl && memcmp(p->attr, name, nl) == 0 && p->section >= 0 &&
			    !sec[p->section])
				sec[p->section] = p;
		}
		for (size_t k = 0; k < nsec && sec[k]; k++) {
			const struct param *p = sec[k];
			const char *v = p->val;
			size_t vl = p->vlen;
			if (p->extended && k == 0) {
				const char *q1 = memchr(v, '\'', vl);
				const char *q2 =
					q1 ? memchr(q1 + 1, '\'', vl - (size_t)(q1 + 1 - v)) : NULL;
				if (q2) {
					cs = v;
					cslen = (size_t)(q1 - v);
					vl -= (size_t)(q2 + 1 - v);
					v = q2 + 1;
				}
			}
			if (p->extended)
				pct_decode(&raw, v, vl);
			else
				sv_buf_append(&raw, v, vl);
		}
		sv_free(sec);
	} else if (plain) {
		return plain->val;
	} else {
		return NULL;
	}
	*rfc2231_r = true;
	sv_buf_append(&raw, "", 0);
	if (!cs || cslen == 0 || !sv_mail_to_utf8(&out, cs, cslen, raw.p, raw.len))
		sv_mail_utf8_sanitize(&out, raw.p, raw.len);
	sv_buf_append(&out, "", 0);
	const char *r = sv_arena_strndup(a, out.p, out.len);
	sv_buf_free(&raw);
	sv_buf_free(&out);
	return r;
}

/* ---- parts -------------------------------------------------------------- */

static const char *field_value(struct sv_mime_part *p, const char *name)
{
	struct sv_hdr *h = sv_mail_find_field(p->hdrs, p->nhdrs, name);
	return h ? h->value : NULL;
}

static void set_type(struct sv_arena *a, struct sv_mime_part *p, const char *type,
		     const char *subtype)
{
	p->type = type;
	p->subtype = subtype;
	size_t tl = strlen(type), sl = strlen(subtype);
	char *ct = sv_arena_alloc(a, tl + sl + 2);
	memcpy(ct, type, tl);
	ct[tl] = '/';
	memcpy(ct + tl + 1, subtype, sl + 1);
	p->ctype = ct;
}

static const char *filename_of(struct sv_arena *a, const struct params *ps, const char *name)
{
	bool r2231;
	const char *v = param_get(a, ps, name, &r2231);
	if (!v)
		return NULL;
	if (!r2231)
		v = sv_rfc2047_decode(a, v, strlen(v), NULL); /* common, non-standard */
	return v;
}

/* RFC 2045 §6.1: the encoding token of a Content-Transfer-Encoding value
 * (NULL: none), lowercased; "7bit" when missing. */
static const char *encoding_of(struct sv_arena *a, const char *cte)
{
	if (!cte)
		return "7bit";
	size_t n = strlen(cte), i = 0;
	skip_cfws(cte, n, &i);
	size_t s = i;
	while (i < n && is_token((unsigned char)cte[i]))
		i++;
	return i > s ? lower_dup(a, cte + s, i - s) : "7bit";
}

/* Fill the header-derived fields of p from p->hdrs. */
static void read_headers(struct sv_arena *a, struct sv_mime_part *p, bool in_digest)
{
	/* RFC 2045 §5.2 default, RFC 2046 §5.1.5 in a digest */
	const char *ct = field_value(p, "content-type");
	bool have = false;
	struct params ps = {NULL, 0, 0};
	if (ct) {
		size_t n = strlen(ct), i = 0;
		skip_cfws(ct, n, &i);
		size_t ts = i;
		while (i < n && is_token((unsigned char)ct[i]))
			i++;
		size_t te = i;
		skip_cfws(ct, n, &i);
		if (te > ts && i < n && ct[i] == '/') {
			i++;
			skip_cfws(ct, n, &i);
			size_t ss = i;
			while (i < n && is_token((unsigned char)ct[i]))
				i++;
			size_t se = i;
			skip_cfws(ct, n, &i);
			/* RFC 2045 §5.1: parameters or nothing follow the
			   subtype ("text/plain/x" is no type at all) */
			if (se > ss && (i == n || ct[i] == ';')) {
				set_type(a, p, lower_dup(a, ct + ts, te - ts), lower_dup(a, ct + ss, se - ss));
				have = true;
				parse_params(a, ct, n, i, &ps);
			}
		}
	}
	if (!have) {
		/* RFC 2045 §5.2: missing or invalid means the default */
		if (in_digest) {
			set_type(a, p, "message", "rfc822");
		} else {
			set_type(a, p, "text", "plain");
			p->charset = "us-ascii";
		}
	}
	bool r2231;
	const char *cs = param_get(a, &ps, "charset", &r2231);
	if (cs && *cs)
		p->charset = lower_dup(a, cs, strlen(cs));
	else if (have && strcmp(p->type, "text") == 0)
		p->charset = "us-ascii";
	if (strcmp(p->type, "multipart") == 0) {
		const char *b = param_get(a, &ps, "boundary", &r2231);
		if (b && *b)
			p->boundary = b;
	}
	p->filename = filename_of(a, &ps, "name");
	sv_free(ps.v);

	p->encoding = encoding_of(a, field_value(p, "content-transfer-encoding"));

	/* RFC 2183 §2 */
	const char *cd = field_value(p, "content-disposition");
	if (cd) {
		size_t n = strlen(cd), i = 0;
		skip_cfws(cd, n, &i);
		size_t s = i;
		while (i < n && is_token((unsigned char)cd[i]))
			i++;
		if (i > s)
			p->disposition = lower_dup(a, cd + s, i - s);
		struct params dps = {NULL, 0, 0};
		parse_params(a, cd, n, i, &dps);
		const char *fn = filename_of(a, &dps, "filename");
		if (fn)
			p->filename = fn;
		sv_free(dps.v);
	}
}

static void parse_part(struct ctx *c, struct sv_mime_part *p, bool in_digest);

/* Give p its header and body from text (a part or an encapsulated
 * message), then parse below it. */
static void parse_text(struct ctx *c, struct sv_mime_part *p, const char *text, size_t len,
		       bool in_digest)
{
	size_t body_off;
	sv_mail_parse_header_block(c->m->arena, text, len, &p->hdrs, &p->nhdrs, &body_off);
	p->header = text;
	p->hlen = body_off;
	p->body = text + body_off;
	p->blen = len - body_off;
	parse_part(c, p, in_digest);
}

static struct sv_mime_part *new_child(struct ctx *c, struct sv_mime_part *parent,
				      struct sv_mime_part **tail)
{
	struct sv_mime_part *ch = sv_arena_alloc(c->m->arena, sizeof *ch);
	ch->parent = parent;
	ch->depth = parent->depth + 1;
	if (*tail)
		(*tail)->next = ch;
	else
		parent->children = ch;
	*tail = ch;
	c->nparts++;
	return ch;
}

/* RFC 2046 §5.1.1: is the line at s[0..n) (no line break) a delimiter for
 * boundary b? 1: delimiter, 2: close delimiter, 0: no. */
static int delimiter(const char *s, size_t n, const char *b, size_t bl)
{
	if (n < bl + 2 || s[0] != '-' || s[1] != '-' || memcmp(s + 2, b, bl) != 0)
		return 0;
	size_t i = bl + 2;
	int kind = 1;
	if (i + 2 <= n && s[i] == '-' && s[i + 1] == '-') {
		kind = 2;
		i += 2;
	}
	/* transport padding only; anything else means a longer boundary */
	for (; i < n; i++)
		if (!is_wsp(s[i]))
			return 0;
	return kind;
}

/* Where the text before a delimiter line at line ends: the line break
 * before the delimiter belongs to it (RFC 2046 §5.1.1); not before start. */
static const char *line_start_of(const char *start, const char *line)
{
	const char *pe = line;
	if (pe > start && pe[-1] == '\n')
		pe--;
	if (pe > start && pe[-1] == '\r')
		pe--;
	return pe;
}

/* Past max-mime-parts: the rest of the parent's body, from the first part
 * not split off, as one undivided part without a header of its own. */
static void add_rest(struct ctx *c, struct sv_mime_part *p, struct sv_mime_part **tail,
		     const char *start, const char *end)
{
	struct sv_mime_part *ch = new_child(c, p, tail);
	ch->header = start;
	ch->body = start;
	ch->blen = (size_t)(end - start);
	set_type(c->m->arena, ch, "text", "plain");
	ch->encoding = "7bit";
	ch->undivided = true;
	ch->rest = true;
}

static void split_multipart(struct ctx *c, struct sv_mime_part *p)
{
	const char *b = p->boundary;
	size_t bl = strlen(b);
	bool digest = strcmp(p->subtype, "digest") == 0;
	const char *s = p->body, *end = p->body + p->blen;
	const char *part_start = NULL; /* after the previous delimiter line */
	struct sv_mime_part *tail = NULL;
	const char *line = s;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		const char *next = nl ? nl + 1 : end;
		size_t ll = (size_t)(le - line);
		if (ll && line[ll - 1] == '\r')
			ll--;
		int kind = line[0] == '-' ? delimiter(line, ll, b, bl) : 0;
		if (kind && !part_start && !p->prologue) {
			/* RFC 2046 §5.1.1: the preamble, without the line break
			   that belongs to the first delimiter */
			p->prologue = s;
			p->prolen = (size_t)(line_start_of(s, line) - s);
		}
		if (kind) {
			if (part_start && c->nparts >= c->m->max_parts) {
				add_rest(c, p, &tail, part_start, end);
				return;
			}
			if (part_start) {
				const char *pe = line_start_of(part_start, line);
				struct sv_mime_part *ch = new_child(c, p, &tail);
				parse_text(c, ch, part_start, (size_t)(pe - part_start), digest);
			}
			if (kind == 2) {
				/* the epilogue: no part, the multipart's own text */
				p->epilogue = next;
				p->epilen = (size_t)(end - next);
				part_start = NULL;
				break;
			}
			part_start = next;
		}
		line = next;
	}
	if (!part_start)
		return;
	if (c->nparts >= c->m->max_parts) {
		add_rest(c, p, &tail, part_start, end);
	} else {
		/* no close delimiter: the last part runs to the end */
		struct sv_mime_part *ch = new_child(c, p, &tail);
		parse_text(c, ch, part_start, (size_t)(end - part_start), digest);
	}
}

static void parse_part(struct ctx *c, struct sv_mime_part *p, bool in_digest)
{
	struct sv_arena *a = c->m->arena;
	read_headers(a, p, in_digest);
	bool multi = strcmp(p->type, "multipart") == 0;
	bool rfc822 = strcmp(p->type, "message") == 0 && strcmp(p->subtype, "rfc822") == 0;
	if (!multi && !rfc822)
		return;
	if (p->depth >= c->m->max_depth || c->nparts >= c->m->max_parts || (multi && !p->boundary)) {
		/* a limit, or no way to split: searched whole, not skipped */
		p->undivided = true;
		return;
	}
	if (multi) {
		p->multipart = true;
		split_multipart(c, p);
	} else {
		/* RFC 2046 §5.2.1: the body is a message of its own */
		p->is_message = true;
		size_t len;
		const char *text = sv_msg_part_decoded(c->m, p, &len);
		struct sv_mime_part *tail = NULL;
		struct sv_mime_part *ch = new_child(c, p, &tail);
		parse_text(c, ch, text, len, false);
	}
}

struct sv_mime_part *sv_msg_mime(struct sv_msg *m)
{
	if (m->mime)
		return m->mime;
	struct sv_mime_part *p = sv_arena_alloc(m->arena, sizeof *p);
	m->mime = p;
	struct ctx c = {m, 1};
	p->body = sv_msg_body(m, &p->blen);
	/* the fields as read: the tree is the original's (message.h), and a
	   view of an edited header is freed by the next edit */
	p->hdrs = sv_mail_original_headers(m, &p->nhdrs);
	p->header = m->data;
	p->hlen = (size_t)(p->body - m->data);
	parse_part(&c, p, false);
	return p;
}

/* Undo the part's transfer encoding into sv_malloc'd memory; NULL when it
 * has none to undo (7bit, 8bit, binary, and unknown encodings, which RFC
 * 2045 §6.4 says to treat as opaque: the body is used as it is). */
static char *transfer_decode(const struct sv_mime_part *p, size_t *len_r)
{
	const char *enc = p->encoding ? p->encoding : "7bit";
	bool b64 = strcmp(enc, "base64") == 0;
	if (!b64 && strcmp(enc, "quoted-printable") != 0)
		return NULL;
	/* the decoders reserve their bound first: no regrowth, no copy */
	struct sv_buf out = SV_BUF_INIT;
	sv_buf_append(&out, "", 0);
	if (b64)
		sv_mail_base64_decode(&out, p->body, p->blen);
	else
		sv_mail_qp_decode(&out, p->body, p->blen);
	return sv_buf_steal(&out, len_r);
}

const char *sv_msg_part_decoded(struct sv_msg *m, struct sv_mime_part *p, size_t *len_r)
{
	if (!p->decoded_done) {
		p->decoded_done = true;
		char *d = transfer_decode(p, &p->declen);
		if (d) {
			sv_mail_keep(m, d);
			p->decoded = d;
		} else {
			p->decoded = p->body ? p->body : "";
			p->declen = p->blen;
		}
	}
	if (len_r)
		*len_r = p->declen;
	return p->decoded;
}

/* One part found inside an undivided part, s[0..len): when it has a
 * transfer encoding, append its decoded content to out (which starts as a
 * copy of all of the undivided part's text, all[0..alln)). */
static void append_decoded(struct sv_buf *out, struct sv_arena **tmp, const char *s, size_t len,
			   const char *all, size_t alln)
{
	if (*tmp)
		sv_arena_reset(*tmp);
	else
		*tmp = sv_arena_new();
	struct sv_hdr *h;
	size_t nh, off;
	sv_mail_parse_header_block(*tmp, s, len, &h, &nh, &off);
	struct sv_hdr *cte = sv_mail_find_field(h, nh, "content-transfer-encoding");
	struct sv_mime_part q = {.body = s + off, .blen = len - off};
	q.encoding = encoding_of(*tmp, cte ? cte->value : NULL);
	size_t dl;
	char *dec = transfer_decode(&q, &dl);
	if (!dec)
		return;
	if (!out->p)
		sv_buf_append(out, all, alln);
	sv_buf_putc(out, '\n');
	sv_buf_append(out, dec, dl);
	sv_free(dec);
}

/* The text of an undivided part: its content as it stands and, after it,
 * the decoded content of each base64 or quoted-printable part found
 * directly inside it (between delimiters of the boundary that would have
 * split it), so that an encoded payload past a limit is seen as well.
 * NULL when there is nothing to add (then the content alone is the text). */
static char *undivided_text(const struct sv_mime_part *p, const char *d, size_t n, size_t *len_r)
{
	const char *b = p->rest ? p->parent->boundary : p->boundary;
	if (!b)
		return NULL;
	size_t bl = strlen(b);
	struct sv_buf out = SV_BUF_INIT;
	struct sv_arena *tmp = NULL;
	const char *end = d + n, *line = d;
	const char *start = p->rest ? d : NULL; /* the rest starts in a part */
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *next = nl ? nl + 1 : end;
		size_t ll = (size_t)((nl ? nl : end) - line);
		if (ll && line[ll - 1] == '\r')
			ll--;
		int kind = line[0] == '-' ? delimiter(line, ll, b, bl) : 0;
		if (kind) {
			if (start)
				append_decoded(&out, &tmp, start, (size_t)(line - start), d, n);
			start = kind == 1 ? next : NULL;
			if (kind == 2)
				break;
		}
		line = next;
	}
	if (start)
		append_decoded(&out, &tmp, start, (size_t)(end - start), d, n);
	sv_arena_free(tmp);
	if (!out.p)
		return NULL;
	return sv_buf_steal(&out, len_r);
}

/* Build the part's text; *owned_r gets the sv_malloc'd block it lives in
 * (NULL when it is the message's bytes or the cached decoded content). */
static const char *make_text(struct sv_mime_part *p, size_t *len_r, char **owned_r)
{
	size_t n;
	char *dec = NULL;
	const char *d;
	if (p->decoded_done) {
		d = p->decoded;
		n = p->declen;
	} else {
		dec = transfer_decode(p, &n);
		d = dec ? dec : p->body ? p->body : "";
		if (!dec)
			n = p->blen;
	}
	*owned_r = dec;
	*len_r = n;
	if (p->undivided) {
		size_t ulen;
		char *u = undivided_text(p, d, n, &ulen);
		if (u) {
			sv_free(dec);
			*owned_r = u;
			*len_r = ulen;
			return u;
		}
		return d;
	}
	if (!p->type || strcmp(p->type, "text") != 0)
		return d;
	const char *cs = p->charset ? p->charset : "us-ascii";
	size_t cslen = strlen(cs);
	if (sv_mail_utf8_unchanged(cs, cslen, d, n))
		return d;
	/* decoded into a block of our own: widen it rather than copy it, so a
	   huge encoded part costs its text once, not decoded plus text */
	if (dec && sv_mail_to_utf8_inplace(&dec, len_r, cs, cslen)) {
		*owned_r = dec;
		return dec;
	}
	struct sv_buf out = SV_BUF_INIT;
	sv_buf_append(&out, "", 0);
	/* unknown charset: the bytes are kept as they are */
	if (!sv_mail_to_utf8(&out, cs, cslen, d, n)) {
		sv_buf_free(&out);
		return d;
	}
	sv_free(dec);
	*owned_r = sv_buf_steal(&out, len_r);
	return *owned_r;
}

const char *sv_msg_part_text(struct sv_msg *m, struct sv_mime_part *p, size_t *len_r)
{
	if (!p->text_done) {
		char *owned;
		p->text = make_text(p, &p->tlen, &owned);
		p->text_done = true;
		if (owned)
			sv_mail_keep(m, owned);
	}
	if (len_r)
		*len_r = p->tlen;
	return p->text;
}

const char *sv_msg_part_text_use(struct sv_msg *m, struct sv_mime_part *p, size_t *len_r,
				 char **owned_r)
{
	*owned_r = NULL;
	if (p->text_done) {
		*len_r = p->tlen;
		return p->text;
	}
	size_t n;
	char *owned;
	const char *t = make_text(p, &n, &owned);
	*len_r = n;
	if (owned && n > TEXT_CACHE_BUDGET - m->text_cached) {
		*owned_r = owned; /* too big to keep: the caller frees it */
		return t;
	}
	if (owned) {
		sv_mail_keep(m, owned);
		m->text_cached += n;
	}
	p->text = t;
	p->tlen = n;
	p->text_done = true;
	return t;
}

const char *sv_msg_part_outside(struct sv_msg *m, struct sv_mime_part *p, size_t *len_r)
{
	*len_r = 0;
	if (!p->multipart)
		return "";
	if (!p->prologue) {
		/* no delimiter at all: the whole body is preamble */
		*len_r = p->blen;
		return p->body;
	}
	if (!p->epilogue || p->epilen == 0) {
		*len_r = p->prolen;
		return p->prologue;
	}
	if (p->prolen == 0) {
		*len_r = p->epilen;
		return p->epilogue;
	}
	size_t n = p->prolen + 1 + p->epilen;
	char *t = sv_arena_alloc(m->arena, n + 1);
	memcpy(t, p->prologue, p->prolen);
	t[p->prolen] = '\n';
	memcpy(t + p->prolen + 1, p->epilogue, p->epilen);
	t[n] = '\0';
	*len_r = n;
	return t;
}

/* ---- the text of HTML (for body :text, RFC 5173 §5.3) ------------------- */

/* HTML 4 Latin-1 character entity names, U+00A0 to U+00FF in order. */
static const char *const latin1_names[96] = {
	"nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy",
	"ordf", "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute",
	"micro", "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12",
	"frac34", "iquest", "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig",
	"Ccedil", "Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml",
	"ETH", "Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde", "Ouml", "times", "Oslash",
	"Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute", "THORN", "szlig", "agrave", "aacute",
	"acirc", "atilde", "auml", "aring", "aelig", "ccedil", "egrave", "eacute", "ecirc",
	"euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde", "ograve", "oacute",
	"ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc", "uuml",
	"yacute", "thorn", "yuml",
};

static const struct {
	const char *name;
	uint32_t cp;
} other_names[] = {
	{"amp", '&'},       {"lt", '<'},         {"gt", '>'},         {"quot", '"'},
	{"apos", '\''},     {"ndash", 0x2013},   {"mdash", 0x2014},   {"lsquo", 0x2018},
	{"rsquo", 0x2019},  {"sbquo", 0x201a},   {"ldquo", 0x201c},   {"rdquo", 0x201d},
	{"bdquo", 0x201e},  {"bull", 0x2022},    {"hellip", 0x2026},  {"euro", 0x20ac},
	{"trade", 0x2122},  {"zwnj", 0x200c},    {"zwj", 0x200d},     {"thinsp", 0x2009},
	{"ensp", 0x2002},   {"emsp", 0x2003},    {"dagger", 0x2020},  {"Dagger", 0x2021},
};

/* The code point of the character reference at s[0..n) (after '&', up
 * to and without ';'); 0 when it names none. A non-breaking space is a
 * space for matching. */
static uint32_t char_ref(const char *s, size_t n)
{
	if (n >= 2 && s[0] == '#') {
		bool hex = s[1] == 'x' || s[1] == 'X';
		size_t i = hex ? 2 : 1;
		uint32_t cp = 0;
		if (i == n || n - i > 7)
			return 0;
		for (; i < n; i++) {
			int d = hex ? hexval((unsigned char)s[i])
				    : sv_ascii_isdigit((unsigned char)s[i]) ? s[i] - '0' : -1;
			if (d < 0)
				return 0;
			cp = cp * (hex ? 16 : 10) + (uint32_t)d;
		}
		if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0xfffd;
		return cp == 0xa0 ? ' ' : cp;
	}
	for (size_t k = 0; k < sizeof other_names / sizeof other_names[0]; k++)
		if (strlen(other_names[k].name) == n && memcmp(other_names[k].name, s, n) == 0)
			return other_names[k].cp;
	for (size_t k = 0; k < 96; k++)
		if (strlen(latin1_names[k]) == n && memcmp(latin1_names[k], s, n) == 0)
			return k == 0 ? ' ' : 0xa0 + (uint32_t)k;
	return 0;
}

/* Elements whose start or end is a line break in the text. */
static bool html_block(const char *name, size_t n)
{
	static const char *const blocks[] = {
		"br", "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "tr", "td", "th", "table",
		"h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "title", "section",
		"article", "header", "footer", "nav", "address", "center", "form", "body", NULL};
	for (size_t k = 0; blocks[k]; k++)
		if (sv_ascii_ieq(name, n, blocks[k], strlen(blocks[k])))
			return true;
	return false;
}

/* Append p[0..n), visible text: first the whitespace run before it, as
 * one pending ' ' or '\n' (a line break wins over a space). */
static void html_put(struct sv_buf *out, char *pending, const char *p, size_t n)
{
	if (*pending && out->len)
		sv_buf_putc(out, *pending);
	*pending = 0;
	sv_buf_append(out, p, n);
}

/* Skip from s[i] (just after "<name") past the end of the element named
 * name[0..nl), whose content is not text (script, style): to after its
 * end tag, or to the end. */
static size_t skip_raw_element(const char *s, size_t i, size_t n, const char *name, size_t nl)
{
	for (; i + 2 + nl <= n; i++)
		if (s[i] == '<' && s[i + 1] == '/' && sv_ascii_ieq(s + i + 2, nl, name, nl)) {
			const char *gt = memchr(s + i, '>', n - i);
			return gt ? (size_t)(gt - s) + 1 : n;
		}
	return n;
}

void sv_mail_html_text(struct sv_buf *out, const char *s, size_t n)
{
	char pending = 0;
	size_t i = 0;
	sv_buf_append(out, "", 0);
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == '<' && i + 3 < n && memcmp(s + i, "<!--", 4) == 0) {
			const char *e = memmem(s + i + 4, n - i - 4, "-->", 3);
			i = e ? (size_t)(e - s) + 3 : n;
		} else if (c == '<' && i + 1 < n &&
			   (sv_ascii_isalpha((unsigned char)s[i + 1]) || s[i + 1] == '/' ||
			    s[i + 1] == '!' || s[i + 1] == '?')) {
			/* a tag: its name, then to its '>' (quoted values may
			   hold one) */
			size_t ns = i + 1 + (s[i + 1] == '/'), ne = ns;
			while (ne < n && (sv_ascii_isalpha((unsigned char)s[ne]) ||
					  sv_ascii_isdigit((unsigned char)s[ne])))
				ne++;
			size_t k = ne;
			char quote = 0;
			while (k < n && (quote || s[k] != '>')) {
				if (quote && s[k] == quote)
					quote = 0;
				else if (!quote && (s[k] == '"' || s[k] == '\''))
					quote = s[k];
				k++;
			}
			i = k < n ? k + 1 : n;
			bool end_tag = s[ns - 1] == '/';
			if (!end_tag && (sv_ascii_ieq(s + ns, ne - ns, "script", 6) ||
					 sv_ascii_ieq(s + ns, ne - ns, "style", 5)))
				i = skip_raw_element(s, i, n, s + ns, ne - ns);
			else if (html_block(s + ns, ne - ns))
				pending = '\n';
		} else if (c == '&') {
			const char *semi = memchr(s + i + 1, ';', n - i - 1 < 12 ? n - i - 1 : 12);
			uint32_t cp = semi ? char_ref(s + i + 1, (size_t)(semi - s) - i - 1) : 0;
			if (cp == ' ') {
				if (!pending)
					pending = ' ';
				i = (size_t)(semi - s) + 1;
			} else if (cp) {
				char u[4];
				html_put(out, &pending, u, sv_utf8_encode(cp, u));
				i = (size_t)(semi - s) + 1;
			} else {
				html_put(out, &pending, "&", 1);
				i++;
			}
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
			if (!pending)
				pending = ' ';
			i++;
		} else {
			size_t k = i + 1;
			while (k < n && s[k] != '<' && s[k] != '&' && !is_wsp(s[k]) && s[k] != '\f')
				k++;
			html_put(out, &pending, s + i, k - i);
			i = k;
		}
	}
}
