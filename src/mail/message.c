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
 * Header edits (editheader, RFC 5293): an overlay of versions over the
 * parsed fields. Each edit is logged (a field added first or last, or
 * fields deleted by position); readers see a view of the current version,
 * rebuilt from the log when they come after an edit, and a version's
 * bytes are rendered once, when a delivery asks for them. A message that
 * is never edited has no view and no copy.
 */
#include "mail/message.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/utf8.h"
#include "mail/compose.h"
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

static void render_drop(struct sv_msg *m);

void sv_msg_free(struct sv_msg *m)
{
	if (m) {
		for (struct sv_heap_block *b = m->heap; b; b = b->next)
			sv_free(b->p);
		sv_free(m->owned);
		render_drop(m);
		sv_free(m->edits);
		sv_free(m->view);
		sv_free(m->vslots);
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

/* Slots for n fields: a power of two, at least twice n. */
static size_t slot_count(size_t n)
{
	size_t ns = 16;
	while (ns < n * 2)
		ns *= 2;
	return ns;
}

/* Chain the fields by name (next_same) into the zeroed table slots. */
static void index_fields(struct sv_hdr *v, size_t n, struct sv_hslot *slots, size_t ns)
{
	for (size_t i = 0; i < n; i++) {
		struct sv_hdr *h = &v[i];
		h->index = (unsigned)i;
		h->next_same = NULL;
		uint32_t hash = name_hash(h->name, h->namelen);
		size_t k = hash & (ns - 1);
		for (;;) {
			struct sv_hslot *s = &slots[k];
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

static void build_index(struct sv_msg *m)
{
	m->indexed = true;
	sv_mail_parse_header_block(m->arena, m->data, m->len, &m->hdrs, &m->nhdrs, &m->body_off);
	if (m->nhdrs == 0)
		return;
	m->nslots = slot_count(m->nhdrs);
	m->slots = sv_arena_array(m->arena, m->nslots, sizeof *m->slots);
	index_fields(m->hdrs, m->nhdrs, m->slots, m->nslots);
}

static void view_refresh(struct sv_msg *m);

/* The fields and slots of the current version. */
static inline void current(struct sv_msg *m, struct sv_hdr **v_r, size_t *n_r,
			   struct sv_hslot **slots_r, size_t *ns_r)
{
	if (!m->indexed)
		build_index(m);
	if (m->nedits == 0) {
		*v_r = m->hdrs;
		*n_r = m->nhdrs;
		*slots_r = m->slots;
		*ns_r = m->nslots;
		return;
	}
	if (!m->view || m->view_version != m->nedits)
		view_refresh(m);
	*v_r = m->view;
	*n_r = m->nview;
	*slots_r = m->vslots;
	*ns_r = m->nvslots;
}

static struct sv_hslot *lookup(struct sv_msg *m, const char *name, size_t namelen)
{
	struct sv_hdr *v;
	size_t n, ns;
	struct sv_hslot *slots;
	current(m, &v, &n, &slots, &ns);
	if (ns == 0)
		return NULL;
	uint32_t hash = name_hash(name, namelen);
	size_t mask = ns - 1;
	for (size_t k = hash & mask;; k = (k + 1) & mask) {
		struct sv_hslot *s = &slots[k];
		if (!s->first)
			return NULL;
		if (s->hash == hash && name_eq(s->first->name, s->first->namelen, name, namelen))
			return s;
	}
}

struct sv_hdr *sv_msg_headers(struct sv_msg *m, size_t *n_r)
{
	struct sv_hdr *v;
	size_t n, ns;
	struct sv_hslot *slots;
	current(m, &v, &n, &slots, &ns);
	if (n_r)
		*n_r = n;
	return v;
}

struct sv_hdr *sv_mail_original_headers(struct sv_msg *m, size_t *n_r)
{
	if (!m->indexed)
		build_index(m);
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

/* ---- header edits (RFC 5293) ------------------------------------------- */

/*
 * The fields after edits e[0..ne) applied to src[0..n), in a new heap
 * array (*n_r fields; NULL when none). Fields are copied with their
 * caches. Added fields go into room kept on both sides, so a run of
 * additions costs what it adds; a deletion compacts once.
 */
static struct sv_hdr *apply_edits(const struct sv_hdr *src, size_t n, const struct sv_msg_edit *e,
				  size_t ne, size_t *n_r)
{
	size_t front = 0, back = 0;
	for (size_t i = 0; i < ne; i++)
		if (e[i].add)
			*(e[i].last ? &back : &front) += 1;
	size_t cap = front + n + back;
	if (cap == 0) {
		*n_r = 0;
		return NULL;
	}
	struct sv_hdr *v = sv_malloc(cap * sizeof *v);
	size_t start = front, end = front + n;
	if (n)
		memcpy(v + start, src, n * sizeof *v);
	for (size_t i = 0; i < ne; i++) {
		if (e[i].add && e[i].last) {
			v[end++] = *e[i].add;
		} else if (e[i].add) {
			v[--start] = *e[i].add;
		} else {
			/* positions ascending, all within the fields of then */
			size_t o = start, k = 0;
			for (size_t j = start; j < end; j++) {
				if (k < e[i].ndel && e[i].del[k] == j - start) {
					k++;
					continue;
				}
				if (o != j)
					v[o] = v[j];
				o++;
			}
			end = o;
		}
	}
	if (start > 0)
		memmove(v, v + start, (end - start) * sizeof *v);
	*n_r = end - start;
	return v;
}

static void view_drop(struct sv_msg *m)
{
	sv_free(m->view);
	sv_free(m->vslots);
	m->view = NULL;
	m->vslots = NULL;
	m->nview = m->nvslots = 0;
	m->view_version = 0;
}

/* Bring the view to the current version: from the view it had when that
 * is older (its caches come along), else from the parsed fields. */
static void view_refresh(struct sv_msg *m)
{
	struct sv_hdr *v;
	size_t n;
	if (m->view && m->view_version < m->nedits)
		v = apply_edits(m->view, m->nview, m->edits + m->view_version,
				m->nedits - m->view_version, &n);
	else
		v = apply_edits(m->hdrs, m->nhdrs, m->edits, m->nedits, &n);
	view_drop(m);
	m->view_work += n;
	m->view = v;
	m->nview = n;
	m->view_version = m->nedits;
	if (n) {
		m->nvslots = slot_count(n);
		m->vslots = sv_calloc(m->nvslots, sizeof *m->vslots);
		index_fields(v, n, m->vslots, m->nvslots);
	}
}

static struct sv_msg_edit *edit_new(struct sv_msg *m)
{
	if (m->nedits == m->capedits) {
		m->capedits = m->capedits ? m->capedits * 2 : 8;
		m->edits = sv_realloc(m->edits, m->capedits * sizeof *m->edits);
	}
	struct sv_msg_edit *e = &m->edits[m->nedits++];
	memset(e, 0, sizeof *e);
	return e;
}

unsigned sv_msg_version(const struct sv_msg *m)
{
	return (unsigned)m->nedits;
}

uint64_t sv_msg_take_view_work(struct sv_msg *m)
{
	uint64_t w = m->view_work;
	m->view_work = 0;
	return w;
}

enum sv_status sv_msg_add_field(struct sv_msg *m, const char *name, size_t namelen,
				const char *value, size_t vlen, bool last, uint64_t cap)
{
	if (namelen == 0 || namelen > SV_MSG_FIELD_NAME_MAX)
		return SV_FAIL;
	for (size_t i = 0; i < namelen; i++)
		if (!is_ftext((unsigned char)name[i]))
			return SV_FAIL;
	if (m->nedits >= UINT_MAX)
		return SV_LIMIT;
	char *nm = sv_arena_strndup(m->arena, name, namelen);
	struct sv_buf f = SV_BUF_INIT;
	sv_compose_format_field(&f, nm, value, vlen);
	/* a line end more per folded line when the message's are CRLF */
	uint64_t grow = f.len;
	for (size_t i = 0; i < f.len; i++)
		grow += f.p[i] == '\n';
	if (cap && m->len + m->added_bytes + grow > cap) {
		sv_buf_free(&f);
		return SV_LIMIT;
	}
	if (!m->indexed)
		build_index(m);
	struct sv_hdr *h = sv_arena_alloc(m->arena, sizeof *h);
	h->name = nm;
	h->namelen = namelen;
	/* "Name:" then the body, without the final line break */
	h->raw = sv_arena_strndup(m->arena, f.p + namelen + 1, f.len - namelen - 2);
	h->rawlen = f.len - namelen - 2;
	h->value = unfold(m->arena, h->raw, h->rawlen, &h->vlen);
	sv_buf_free(&f);
	m->added_bytes += grow;
	struct sv_msg_edit *e = edit_new(m);
	e->add = h;
	e->last = last;
	return SV_OK;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

size_t sv_msg_delete_fields(struct sv_msg *m, struct sv_hdr *const *fields, size_t n)
{
	struct sv_hdr *v;
	size_t nv, ns;
	struct sv_hslot *slots;
	current(m, &v, &nv, &slots, &ns);
	if (n == 0 || nv == 0 || m->nedits >= UINT_MAX)
		return 0;
	size_t *pos = sv_arena_array(m->arena, n, sizeof *pos);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sv_hdr *h = fields[i];
		/* only a field of this version: compared as addresses of one
		   array, so a stray pointer is never used */
		uintptr_t a = (uintptr_t)h, lo = (uintptr_t)v, hi = (uintptr_t)(v + nv);
		if (h && a >= lo && a < hi && (a - lo) % sizeof *v == 0)
			pos[k++] = (a - lo) / sizeof *v;
	}
	if (k == 0)
		return 0;
	qsort(pos, k, sizeof *pos, cmp_size);
	size_t u = 1;
	for (size_t i = 1; i < k; i++)
		if (pos[i] != pos[u - 1])
			pos[u++] = pos[i];
	struct sv_msg_edit *e = edit_new(m);
	e->del = pos;
	e->ndel = u;
	return u;
}

/* Free the rendering held. */
static void render_drop(struct sv_msg *m)
{
	if (!m->renders)
		return;
	sv_free(m->renders->p);
	sv_free(m->renders);
	m->renders = NULL;
}

void sv_msg_rewind(struct sv_msg *m, unsigned version)
{
	if (version >= m->nedits)
		return;
	m->nedits = version;
	/* a view or rendering past it showed edits that are gone */
	if (m->view && m->view_version > version)
		view_drop(m);
	if (m->renders && m->renders->version > version)
		render_drop(m);
}

/* The end of the line a parsed field ends on, its line break included. */
static size_t field_end(const struct sv_msg *m, const struct sv_hdr *h)
{
	size_t e = (size_t)(h->raw + h->rawlen - m->data);
	if (e < m->len && m->data[e] == '\r' && e + 1 < m->len && m->data[e + 1] == '\n')
		return e + 2;
	if (e < m->len && m->data[e] == '\n')
		return e + 1;
	return e;
}

static bool is_parsed(const struct sv_msg *m, const struct sv_hdr *h)
{
	return h->name >= m->data && h->name < m->data + m->len;
}

const char *sv_msg_render(struct sv_msg *m, unsigned version, size_t *len_r)
{
	if (version == 0)
		return sv_msg_data(m, len_r);
	if (version > m->nedits)
		return NULL;
	if (m->renders && m->renders->version == version) {
		if (len_r)
			*len_r = m->renders->len;
		return m->renders->p;
	}
	/* one rendering at a time: a large message of many versions costs
	   one copy, and the one held goes before the next is built */
	render_drop(m);
	if (!m->indexed)
		build_index(m);
	struct sv_hdr *v;
	size_t n;
	struct sv_hdr *own = NULL;
	if (m->view && m->view_version == version) {
		v = m->view;
		n = m->nview;
	} else {
		own = v = apply_edits(m->hdrs, m->nhdrs, m->edits, version, &n);
	}
	/* the message's own line ends for the fields added (its first line
	   says which) */
	const char *nl = memchr(m->data, '\n', m->len);
	bool crlf = nl && nl > m->data && nl[-1] == '\r';
	const char *eol = crlf ? "\r\n" : "\n";
	/* lines at the start that continue no field (the parser passes over
	   them): the message's bytes all the same, kept ahead of every field,
	   where none of them can become part of an added one */
	size_t lead = 0;
	while (lead < m->len && (m->data[lead] == ' ' || m->data[lead] == '\t')) {
		const char *e = memchr(m->data + lead, '\n', m->len - lead);
		lead = e ? (size_t)(e - m->data) + 1 : m->len;
	}
	size_t hdr_end = m->nhdrs ? field_end(m, &m->hdrs[m->nhdrs - 1]) : lead;
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_reserve(&b, m->len + (size_t)m->added_bytes + 4);
	if (lead) {
		sv_buf_append(&b, m->data, lead);
		if (m->data[lead - 1] != '\n')
			sv_buf_puts(&b, eol);
	}
	for (size_t i = 0; i < n; i++) {
		const struct sv_hdr *h = &v[i];
		if (is_parsed(m, h)) {
			size_t s = (size_t)(h->name - m->data);
			size_t e = field_end(m, h);
			sv_buf_append(&b, h->name, e - s);
			/* a field that ended the data without a line break */
			if (m->data[e - 1] != '\n')
				sv_buf_puts(&b, eol);
			continue;
		}
		sv_buf_append(&b, h->name, h->namelen);
		sv_buf_putc(&b, ':');
		for (size_t k = 0; k < h->rawlen; k++) {
			if (h->raw[k] == '\n')
				sv_buf_puts(&b, eol);
			else
				sv_buf_putc(&b, h->raw[k]);
		}
		sv_buf_puts(&b, eol);
	}
	/* RFC 5322 §2.1: the empty line before a body the original left out
	   (a line that was no field began its body) */
	if (m->body_off == hdr_end && m->body_off < m->len)
		sv_buf_puts(&b, eol);
	sv_buf_append(&b, m->data + hdr_end, m->len - hdr_end);
	sv_free(own);
	struct sv_msg_render *r = sv_malloc(sizeof *r);
	r->version = version;
	r->len = b.len;
	r->p = sv_buf_steal(&b, NULL);
	m->renders = r;
	if (len_r)
		*len_r = r->len;
	return r->p;
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
