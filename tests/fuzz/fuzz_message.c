/*
 * fuzz_message.c: fuzz target for the message model. The input is a
 * message: sv_msg_new, then everything a script can make it compute:
 * every header field with its decoded value, its address list and its
 * date-time with every date part (RFC 5260), the
 * lookups by name, the envelope-path parser on the field values, the body,
 * and the whole MIME tree with each part's fields, transfer-decoded
 * content and text. Every byte handed out is read, so the sanitizers see
 * any pointer or length that is off.
 *
 * libFuzzer: build-fuzz/fuzz_message (`make fuzz`, see fuzz.mk);
 * make check: tests/fuzz/replay_message replays tests/fuzz/regress/message/.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "mail/date.h"
#include "mail/message.h"

/* Bytes are summed into here so that no read is optimised away. */
static volatile unsigned sink;

static void touch(const char *p, size_t n)
{
	unsigned s = 0;
	if (!p) {
		if (n) {
			fprintf(stderr, "fuzz_message: NULL pointer with length %zu\n", n);
			abort();
		}
		return;
	}
	for (size_t i = 0; i < n; i++)
		s += (unsigned char)p[i];
	sink += s;
}

static void touchz(const char *s)
{
	if (s)
		touch(s, strlen(s));
}

static void touch_addrs(const struct sv_addr_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		const struct sv_addr *a = &l->v[i];
		touch(a->local, a->llen);
		touch(a->domain, a->domain ? a->dlen : 0);
		touch(a->addr, a->alen);
		touch(a->display, a->display ? a->displen : 0);
		sink += a->valid;
	}
}

/* RFC 5260's date test: the field as a date-time, every part of it in
 * its own zone and shifted to the farthest zones. */
static void touch_date(const char *v, size_t n)
{
	struct sv_date d;
	if (!sv_date_parse(v, n, &d))
		return;
	if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 || d.hour > 23 ||
	    d.minute > 59 || d.second > 60) {
		fprintf(stderr, "fuzz_message: date out of range\n");
		abort();
	}
	static const int zones[] = {0, 23 * 60 + 59, -(23 * 60 + 59)};
	struct sv_buf b = SV_BUF_INIT;
	for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
		struct sv_date s;
		sv_date_shift(&d, zones[z], false, &s);
		for (int part = SV_DATE_YEAR; part <= SV_DATE_WEEKDAY; part++) {
			sv_buf_reset(&b);
			sv_date_part(&s, (enum sv_date_part)part, &b);
			touch(b.p, b.len);
		}
	}
	sv_buf_free(&b);
}

static void walk_header(struct sv_msg *m, struct sv_hdr *h, size_t total)
{
	touch(h->name, h->namelen);
	touch(h->raw, h->rawlen);
	touch(h->value, h->vlen + 1); /* NUL-terminated */
	if (h->value[h->vlen] != '\0') {
		fprintf(stderr, "fuzz_message: header value not NUL-terminated\n");
		abort();
	}
	if (h->index >= total) {
		fprintf(stderr, "fuzz_message: header index %u of %zu\n", h->index, total);
		abort();
	}
	size_t dlen = 0;
	const char *d = sv_msg_header_decoded(m, h, &dlen);
	touch(d, dlen);
	touch_addrs(sv_msg_header_addresses(m, h));
	/* the same field found by name, and its siblings */
	struct sv_hdr *first = sv_msg_header(m, h->name, h->namelen);
	if (!first) {
		fprintf(stderr, "fuzz_message: field \"%.*s\" not found by its own name\n",
			(int)h->namelen, h->name);
		abort();
	}
	size_t count = sv_msg_header_count(m, h->name, h->namelen), seen = 0;
	for (struct sv_hdr *x = first; x && seen <= count; x = x->next_same)
		seen++;
	if (seen != count) {
		fprintf(stderr, "fuzz_message: \"%.*s\": count %zu, chain %zu\n", (int)h->namelen,
			h->name, count, seen);
		abort();
	}
	/* envelope-path and address-list parsers on arbitrary text */
	struct sv_arena *a = sv_msg_arena(m);
	struct sv_addr path;
	if (sv_addr_parse_path(a, h->value, h->vlen, &path)) {
		touch(path.local, path.llen);
		touch(path.domain, path.domain ? path.dlen : 0);
		touch(path.addr, path.alen);
	}
	size_t rlen = 0;
	touch(sv_rfc2047_decode(a, h->raw, h->rawlen, &rlen), rlen);
	touch_date(h->value, h->vlen);
}

static void walk_part(struct sv_msg *m, struct sv_mime_part *p)
{
	touchz(p->ctype);
	touchz(p->type);
	touchz(p->subtype);
	touchz(p->charset);
	touchz(p->boundary);
	touchz(p->encoding);
	touchz(p->disposition);
	touchz(p->filename);
	touch(p->header, p->hlen);
	touch(p->body, p->blen);
	for (size_t i = 0; i < p->nhdrs; i++) {
		struct sv_hdr *h = &p->hdrs[i];
		touch(h->name, h->namelen);
		touch(h->raw, h->rawlen);
		touch(h->value, h->vlen);
	}
	size_t n = 0;
	touch(sv_msg_part_decoded(m, p, &n), n);
	n = 0;
	touch(sv_msg_part_text(m, p, &n), n);
	/* twice: the second answer comes from the cache */
	n = 0;
	touch(sv_msg_part_text(m, p, &n), n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sv_msg *m = sv_msg_new((const char *)data, size);
	size_t len = 0;
	touch(sv_msg_data(m, &len), len);
	touchz(sv_msg_mbox_from(m));
	sink += (unsigned)sv_msg_size(m);

	size_t nh = 0;
	struct sv_hdr *hs = sv_msg_headers(m, &nh);
	for (size_t i = 0; i < nh; i++)
		walk_header(m, &hs[i], nh);
	/* a name that is surely absent, and the usual ones */
	static const char *const names[] = {"from", "to", "cc", "subject", "content-type",
					    "x-no-such-field-here"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct sv_hdr *h = sv_msg_header(m, names[i], strlen(names[i]));
		sink += (unsigned)sv_msg_header_count(m, names[i], strlen(names[i]));
		if (h)
			touch_addrs(sv_msg_header_addresses(m, h));
	}

	size_t blen = 0;
	touch(sv_msg_body(m, &blen), blen);

	/* the MIME tree, pre-order, without recursion (depth is the input's) */
	struct sv_mime_part *root = sv_msg_mime(m);
	if (!root) {
		fprintf(stderr, "fuzz_message: sv_msg_mime returned NULL\n");
		abort();
	}
	size_t parts = 0;
	struct sv_mime_part *p = root;
	while (p) {
		walk_part(m, p);
		if (++parts > 10000000) {
			fprintf(stderr, "fuzz_message: MIME tree walk does not end (cycle?)\n");
			abort();
		}
		if (p->children) {
			if (p->children->parent != p) {
				fprintf(stderr, "fuzz_message: child's parent link is wrong\n");
				abort();
			}
			p = p->children;
			continue;
		}
		while (p && p != root && !p->next)
			p = p->parent;
		if (!p || p == root)
			break;
		p = p->next;
	}
	sv_msg_free(m);
	return 0;
}
