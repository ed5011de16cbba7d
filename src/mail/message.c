/*
 * message.c: reading a message, the lazy header index, the size.
 *
 * RFC 5322 §2.1 (lines), §2.2 (header fields), §2.2.3 (unfolding), §2.1.1
 * and §4.5 (obsolete: WSP before the colon); RFC 5228 §5.9 (size counted
 * in CRLF form); mbox "From " lines (RFC 4155).
 *
 * Line ends may be CRLF or LF, mixed; a bare CR is an ordinary byte. Nothing
 * is rejected: a line that is neither a field nor a continuation ends the
 * header and starts the body.
 *
 * Not done: header edits (the editheader overlay lives elsewhere).
 */
#include "mail/message.h"

#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/utf8.h"
#include "mail/mail-private.h"

/* The message without its mbox "From " line (RFC 4155: envelope, not
 * message); records the sender of that line. */
static struct sv_msg *msg_start(const char **data_r, size_t *len_r)
{
	struct sv_arena *a = sv_arena_new();
	struct sv_msg *m = sv_arena_alloc(a, sizeof *m);
	m->arena = a;
	m->max_parts = SV_DEFAULT_MAX_MIME_PARTS;
	m->max_depth = SV_DEFAULT_MAX_MIME_DEPTH;
	const char *data = *data_r;
	size_t len = data ? *len_r : 0;
	if (len >= 5 && memcmp(data, "From ", 5) == 0) {
		const char *nl = memchr(data, '\n', len);
		size_t linelen = nl ? (size_t)(nl - data) : len;
		size_t skip = nl ? linelen + 1 : len;
		size_t i = 5;
		while (i < linelen && (data[i] == ' ' || data[i] == '\t'))
			i++;
		size_t s = i;
		while (i < linelen && data[i] != ' ' && data[i] != '\t' && data[i] != '\r')
			i++;
		m->mbox_from = sv_arena_strndup(a, data + s, i - s);
		data += skip;
		len -= skip;
	}
	*data_r = data;
	*len_r = len;
	return m;
}

struct sv_msg *sv_msg_new(const char *data, size_t len)
{
	struct sv_msg *m = msg_start(&data, &len);
	/* a private copy, not zeroed first (the arena would) */
	m->owned = sv_malloc(len + 1);
	if (len)
		memcpy(m->owned, data, len);
	m->owned[len] = '\0';
	m->data = m->owned;
	m->len = len;
	return m;
}

struct sv_msg *sv_msg_new_borrowed(const char *data, size_t len)
{
	if (!data || data[len] != '\0')
		return sv_msg_new(data, len);
	struct sv_msg *m = msg_start(&data, &len);
	m->data = (char *)data; /* never written */
	m->len = len;
	return m;
}

void sv_msg_free(struct sv_msg *m)
{
	if (m) {
		for (struct sv_heap_block *b = m->heap; b; b = b->next)
			sv_free(b->p);
		sv_free(m->owned);
		sv_arena_free(m->arena);
	}
}

void sv_mail_keep(struct sv_msg *m, void *p)
{
	struct sv_heap_block *b = sv_arena_alloc(m->arena, sizeof *b);
	b->p = p;
	b->next = m->heap;
	m->heap = b;
}

void sv_msg_set_mime_limits(struct sv_msg *m, uint64_t max_parts, uint64_t max_depth)
{
	if (max_parts == m->max_parts && max_depth == m->max_depth)
		return;
	m->max_parts = max_parts;
	m->max_depth = max_depth;
	/* parsed with other bounds: parse again on next use (the old tree
	   stays in the arena until the message is freed; settings change
	   between tests only in the test suite) */
	m->mime = NULL;
	m->text_cached = 0;
}

struct sv_arena *sv_msg_arena(struct sv_msg *m)
{
	return m->arena;
}

const char *sv_msg_data(const struct sv_msg *m, size_t *len_r)
{
	if (len_r)
		*len_r = m->len;
	return m->data;
}

const char *sv_msg_mbox_from(const struct sv_msg *m)
{
	return m->mbox_from;
}

uint64_t sv_msg_size(const struct sv_msg *m)
{
	struct sv_msg *mm = (struct sv_msg *)m; /* cache only */
	if (mm->size_done)
		return mm->size;
	/* RFC 5228 §5.9: octets as in RFC 5322 form, so a bare LF counts as
	 * CRLF (2 octets). */
	uint64_t size = m->len;
	const char *p = m->data, *end = m->data + m->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		if (nl == m->data || nl[-1] != '\r')
			size++;
		p = nl + 1;
	}
	mm->size = size;
	mm->size_done = true;
	return size;
}

/* ---- header block parsing ---------------------------------------------- */

static inline uint32_t name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= sv_ascii_lower((unsigned char)name[i]);
		h *= 16777619u;
	}
	return h;
}

uint32_t sv_mail_name_hash(const char *name, size_t len)
{
	return name_hash(name, len);
}

/* sv_ascii_ieq, inlined for the lookups (names usually agree exactly) */
static inline bool name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (a[i] != b[i] &&
		    sv_ascii_lower((unsigned char)a[i]) != sv_ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* RFC 5322 §2.2: ftext is printable US-ASCII except ':' (and not space). */
static bool is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* RFC 5322 §2.2.3: unfold (drop line breaks, which here always precede
 * WSP), then trim leading and trailing whitespace. */
static char *unfold(struct sv_arena *a, const char *raw, size_t rawlen, size_t *len_r)
{
	size_t s = 0, e = rawlen;
	while (s < e && (raw[s] == ' ' || raw[s] == '\t' || raw[s] == '\r' || raw[s] == '\n'))
		s++;
	while (e > s &&
	       (raw[e - 1] == ' ' || raw[e - 1] == '\t' || raw[e - 1] == '\r' || raw[e - 1] == '\n'))
		e--;
	if (!memchr(raw + s, '\n', e - s)) {
		*len_r = e - s;
		return sv_arena_strndup(a, raw + s, e - s);
	}
	/* RFC 5322 §2.2.3: remove each line break (CRLF or LF), keep the rest;
	   copied a line at a time */
	char *out = sv_arena_alloc_nozero(a, e - s + 1);
	size_t o = 0, i = s;
	while (i < e) {
		const char *nl = memchr(raw + i, '\n', e - i);
		size_t stop = nl ? (size_t)(nl - raw) : e;
		size_t copy = stop;
		if (nl && copy > i && raw[copy - 1] == '\r')
			copy--;
		memcpy(out + o, raw + i, copy - i);
		o += copy - i;
		i = nl ? stop + 1 : e;
	}
	out[o] = '\0';
	*len_r = o;
	return out;
}

void sv_mail_parse_header_block(struct sv_arena *a, const char *p, size_t len,
				struct sv_hdr **hdrs_r, size_t *n_r, size_t *body_off_r)
{
	struct sv_hdr *v = NULL;
	size_t n = 0, cap = 0;
	size_t pos = 0, body_off = len;
	struct sv_hdr *cur = NULL; /* field being continued */
	size_t cur_start = 0;      /* offset of cur's raw value */

	while (pos < len) {
		const char *line = p + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t linelen = nl ? (size_t)(nl - line) : len - pos;
		size_t next = nl ? pos + linelen + 1 : len;
		size_t content = linelen; /* without the CR of a CRLF */
		if (nl && content > 0 && line[content - 1] == '\r')
			content--;

		if (content == 0) {
			/* RFC 5322 §2.1: the empty line ends the header */
			body_off = next;
			break;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			/* RFC 5322 §2.2.3: a folded continuation */
			if (cur)
				cur->rawlen = pos + content - cur_start;
			pos = next;
			continue;
		}
		size_t i = 0;
		while (i < content && is_ftext((unsigned char)line[i]))
			i++;
		size_t namelen = i;
		/* RFC 5322 §4.5.1 obs-optional: WSP may precede the colon */
		while (i < content && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (namelen == 0 || i >= content || line[i] != ':') {
			/* not a field: be tolerant, the body starts here */
			body_off = pos;
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			v = sv_realloc(v, cap * sizeof *v);
		}
		cur = &v[n];
		memset(cur, 0, sizeof *cur);
		cur->name = line;
		cur->namelen = namelen;
		cur->index = (unsigned)n;
		cur_start = pos + i + 1;
		cur->raw = p + cur_start;
		cur->rawlen = pos + content - cur_start;
		n++;
		pos = next;
	}

	struct sv_hdr *out = NULL;
	if (n) {
		out = sv_arena_array(a, n, sizeof *out);
		memcpy(out, v, n * sizeof *out);
		for (size_t k = 0; k < n; k++)
			out[k].value = unfold(a, out[k].raw, out[k].rawlen, &out[k].vlen);
	}
	sv_free(v);
	*hdrs_r = out;
	*n_r = n;
	*body_off_r = body_off;
}

struct sv_hdr *sv_mail_find_field(struct sv_hdr *hdrs, size_t n, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < n; i++)
		if (sv_ascii_ieq(hdrs[i].name, hdrs[i].namelen, name, nl))
			return &hdrs[i];
	return NULL;
}

/* ---- the index ---------------------------------------------------------- */

static void build_index(struct sv_msg *m)
{
	m->indexed = true;
	sv_mail_parse_header_block(m->arena, m->data, m->len, &m->hdrs, &m->nhdrs, &m->body_off);
	if (m->nhdrs == 0)
		return;
	size_t ns = 16;
	while (ns < m->nhdrs * 2)
		ns *= 2;
	m->slots = sv_arena_array(m->arena, ns, sizeof *m->slots);
	m->nslots = ns;
	for (size_t i = 0; i < m->nhdrs; i++) {
		struct sv_hdr *h = &m->hdrs[i];
		uint32_t hash = name_hash(h->name, h->namelen);
		size_t k = hash & (ns - 1);
		for (;;) {
			struct sv_hslot *s = &m->slots[k];
			if (!s->first) {
				s->hash = hash;
				s->first = s->last = h;
				s->count = 1;
				break;
			}
			if (s->hash == hash &&
			    name_eq(s->first->name, s->first->namelen, h->name, h->namelen)) {
				s->last->next_same = h;
				s->last = h;
				s->count++;
				break;
			}
			k = (k + 1) & (ns - 1);
		}
	}
}

static struct sv_hslot *lookup(struct sv_msg *m, const char *name, size_t namelen)
{
	if (!m->indexed)
		build_index(m);
	if (m->nslots == 0)
		return NULL;
	uint32_t hash = name_hash(name, namelen);
	size_t mask = m->nslots - 1;
	for (size_t k = hash & mask;; k = (k + 1) & mask) {
		struct sv_hslot *s = &m->slots[k];
		if (!s->first)
			return NULL;
		if (s->hash == hash && name_eq(s->first->name, s->first->namelen, name, namelen))
			return s;
	}
}

struct sv_hdr *sv_msg_headers(struct sv_msg *m, size_t *n_r)
{
	if (!m->indexed)
		build_index(m);
	if (n_r)
		*n_r = m->nhdrs;
	return m->hdrs;
}

struct sv_hdr *sv_msg_header(struct sv_msg *m, const char *name, size_t namelen)
{
	struct sv_hslot *s = lookup(m, name, namelen);
	return s ? s->first : NULL;
}

size_t sv_msg_header_count(struct sv_msg *m, const char *name, size_t namelen)
{
	struct sv_hslot *s = lookup(m, name, namelen);
	return s ? s->count : 0;
}

const char *sv_msg_header_decoded(struct sv_msg *m, struct sv_hdr *h, size_t *len_r)
{
	if (!h->decoded) {
		if (memmem(h->value, h->vlen, "=?", 2)) {
			h->decoded = sv_rfc2047_decode(m->arena, h->value, h->vlen, &h->dlen);
		} else {
			h->decoded = h->value; /* nothing encoded: share the value */
			h->dlen = h->vlen;
		}
	}
	if (len_r)
		*len_r = h->dlen;
	return h->decoded;
}

const struct sv_addr_list *sv_msg_header_addresses(struct sv_msg *m, struct sv_hdr *h)
{
	if (!h->addrs) {
		struct sv_addr_list *l = sv_arena_alloc(m->arena, sizeof *l);
		sv_addr_parse_list(m->arena, h->value, h->vlen, l);
		h->addrs = l;
	}
	return h->addrs;
}

const char *sv_msg_body(struct sv_msg *m, size_t *len_r)
{
	if (!m->indexed)
		build_index(m);
	if (len_r)
		*len_r = m->len - m->body_off;
	return m->data + m->body_off;
}

bool sv_msg_has_body(struct sv_msg *m)
{
	if (!m->indexed)
		build_index(m);
	if (m->body_off < m->len)
		return true;
	/* the header ran to the end: was its last line the empty one that
	   ends it (RFC 5322 §2.1)? */
	const char *d = m->data;
	size_t n = m->len;
	if (n == 0 || d[n - 1] != '\n')
		return false;
	n--;
	if (n && d[n - 1] == '\r')
		n--;
	return n == 0 || d[n - 1] == '\n';
}
