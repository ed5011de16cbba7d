/*
 * headers.c: the header source of every test that reads header fields
 * (headers.h): the fields of one name in the message's current view or in
 * the current MIME part, with RFC 5260 §6's :index / :last applied.
 *
 * The message's fields are read only through sv_msg_header() and their
 * next_same chain, which give the edited header once editheader has
 * changed it. A part's fields are its own (struct sv_mime_part.hdrs).
 * The current part is vm->part, which foreverypart (RFC 5703) sets.
 */
#include "vm/headers.h"

#include "lib/utf8.h"
#include "mail/message.h"
#include "vm/vm.h"

/* The part a loop over MIME parts (RFC 5703 §3) is at, or NULL for the
 * message itself. */
static const struct sv_mime_part *current_part(const struct sv_vm *vm)
{
	return vm->part;
}

static bool same_name(const struct sv_hdr *h, const char *name, size_t len)
{
	return sv_ascii_ieq(h->name, h->namelen, name, len);
}

/* The next field of the name, before any selection. */
static struct sv_hdr *next_of_name(struct sv_hdr_iter *it)
{
	if (!it->part) {
		struct sv_hdr *h = it->next;
		if (h)
			it->next = h->next_same;
		return h;
	}
	while (it->at < it->part->nhdrs) {
		struct sv_hdr *h = &it->part->hdrs[it->at++];
		if (same_name(h, it->name, it->namelen))
			return h;
	}
	return NULL;
}

static void rewind_fields(struct sv_hdr_iter *it)
{
	it->next = it->part ? NULL : sv_msg_header(it->msg, it->name, it->namelen);
	it->at = 0;
	it->seen = 0;
}

void sv_headers_begin_in(struct sv_hdr_iter *it, struct sv_msg *msg,
                         const struct sv_mime_part *part, const struct sv_hdr_select *sel,
                         const char *name, size_t len)
{
	*it = (struct sv_hdr_iter){.msg = msg, .part = part, .name = name, .namelen = len};
	rewind_fields(it);
	if (!sel || sel->index == 0)
		return;
	it->want = sel->index;
	if (sel->last) {
		/* RFC 5260 §6: with :last, 1 is the last field of the name,
		   2 the one before it: count them, then count from the front */
		uint64_t total = 0;
		while (next_of_name(it))
			total++;
		rewind_fields(it);
		if (sel->index > total)
			it->done = true;
		else
			it->want = total - sel->index + 1;
	}
}

void sv_headers_begin(struct sv_hdr_iter *it, struct sv_vm *vm, const struct sv_operands *ops,
                      const char *name, size_t len)
{
	struct sv_hdr_select sel;
	sv_index_selection(ops, &sel);
	sv_headers_begin_in(it, vm->msg, current_part(vm), &sel, name, len);
}

struct sv_hdr *sv_headers_next(struct sv_hdr_iter *it)
{
	while (!it->done) {
		struct sv_hdr *h = next_of_name(it);
		if (!h) {
			it->done = true;
			break;
		}
		it->seen++;
		if (!it->want)
			return h;
		if (it->seen == it->want) {
			/* RFC 5260 §6: only that one field is looked at */
			it->done = true;
			return h;
		}
	}
	return NULL;
}
