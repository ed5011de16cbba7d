/*
 * headers.h: the one header source of every test that reads header
 * fields (DESIGN.md §5): header, address and exists of RFC 5228 §5, the
 * date test of RFC 5260 §4, and whatever comes after them.
 *
 * It gives the fields of one name as the test sees them: the message's
 * current view (the model's header calls, which give the edited header
 * once editheader has changed it), or the current MIME part's own fields
 * when a loop over parts has one, with the :index / :last selection of
 * RFC 5260 §6 applied. So an edit, a part and an index are dealt with in
 * one place, and no test walks the header itself.
 */
#ifndef SV_HEADERS_H
#define SV_HEADERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sv_vm;
struct sv_operands;
struct sv_msg;
struct sv_hdr;
struct sv_mime_part;

/* Which fields of a name a test looks at (RFC 5260 §6). */
struct sv_hdr_select {
	uint64_t index; /* 0: every field; else only the index-th, from 1 */
	bool last;      /* count index from the last field backwards */
};

/* Iteration over the selected fields of one name. */
struct sv_hdr_iter {
	struct sv_msg *msg;
	const struct sv_mime_part *part; /* NULL: the message's own header */
	const char *name;
	size_t namelen;
	struct sv_hdr *next; /* the message: next field of the name */
	size_t at;           /* a part: next position in its fields */
	uint64_t want;       /* 0: every field; else its position from 1 */
	uint64_t seen;       /* fields of the name passed so far */
	bool done;
};

/*
 * The :index / :last selection an instruction carries; {0, false} when it
 * has none. The index extension owns these operands (ext/index.c).
 */
void sv_index_selection(const struct sv_operands *ops, struct sv_hdr_select *sel);

/*
 * Start on the fields called name (a valid field name, RFC 5322 §3.6.8)
 * that the instruction ops of the running vm looks at: those of the
 * current MIME part or of the message, narrowed by ops' :index / :last.
 */
void sv_headers_begin(struct sv_hdr_iter *it, struct sv_vm *vm, const struct sv_operands *ops,
                      const char *name, size_t len);
/* The same with an explicit source and selection (part NULL: the
 * message's header; sel NULL: every field). */
void sv_headers_begin_in(struct sv_hdr_iter *it, struct sv_msg *msg,
                         const struct sv_mime_part *part, const struct sv_hdr_select *sel,
                         const char *name, size_t len);
/* The next selected field, in message order, or NULL at the end. */
struct sv_hdr *sv_headers_next(struct sv_hdr_iter *it);

#endif
