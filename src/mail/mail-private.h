/*
 * mail-private.h: what the files of src/mail share and nobody else sees:
 * the message structure, the header-block parser (used for the message and
 * for every MIME part), and the decoders (base64, quoted-printable, charset
 * conversion to UTF-8).
 */
#ifndef SV_MAIL_PRIVATE_H
#define SV_MAIL_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "mail/message.h"

/* One slot of the header index: an open-addressing hash table keyed by the
 * ASCII-lowercased field name (RFC 5322 §1.2.2: names are case-insensitive). */
struct sv_hslot {
	uint32_t hash;
	struct sv_hdr *first, *last;
	size_t count;
};

struct sv_msg {
	struct sv_arena *arena;
	char *data; /* the message without the mbox From line, NUL-terminated */
	size_t len;
	char *owned; /* data's allocation when the message has its own copy */
	char *mbox_from;

	bool indexed;
	size_t body_off; /* valid once indexed */
	struct sv_hdr *hdrs;
	size_t nhdrs;
	struct sv_hslot *slots;
	size_t nslots; /* a power of two, or 0 */

	bool size_done;
	uint64_t size;

	struct sv_mime_part *mime;
	/* bounds of the MIME parser (max-mime-parts, max-mime-depth) */
	uint64_t max_parts, max_depth;
	/* decoded part texts kept for later tests, bytes in total (bounded
	   by mime.c's cache budget) */
	size_t text_cached;
	/* heap blocks the message owns besides its arena (decoded parts
	   that outlive one test), freed by sv_msg_free */
	struct sv_heap_block *heap;

	/* editheader's overlay (DESIGN.md §5): all empty until the first
	   edit, so a message nobody edits pays nothing. Version v is the
	   header after the first v edits. */
	struct sv_msg_edit *edits; /* heap */
	size_t nedits, capedits;
	/* the fields of version view_version (heap; NULL: version 0, the
	   parsed fields above), rebuilt when a reader comes after an edit */
	struct sv_hdr *view;
	size_t nview;
	struct sv_hslot *vslots; /* heap */
	size_t nvslots;
	size_t view_version;
	uint64_t added_bytes; /* bytes the added fields take, at most */
	uint64_t view_work; /* fields copied into views since last taken */
	struct sv_msg_render *renders; /* the version rendered last (heap;
					  at most one is held) */
};

/* One edit: it adds the field add (first, or last), or deletes the
 * fields at the positions del[] (ascending) of the version before it. */
struct sv_msg_edit {
	struct sv_hdr *add;
	bool last;
	size_t *del;
	size_t ndel;
};

/* The bytes of one version (sv_msg_render), heap. */
struct sv_msg_render {
	size_t version;
	char *p; /* heap */
	size_t len;
};

struct sv_heap_block {
	void *p;
	struct sv_heap_block *next;
};

/* Hand a sv_malloc'd block to the message: freed with it. */
void sv_mail_keep(struct sv_msg *m, void *p);



/* Parse a header block starting at p (RFC 5322 §2.2, §3.6, obsolete forms of
 * §4.5 tolerated). The fields go into *hdrs_r (arena array, next_same left
 * NULL), *body_off_r is the offset in p where the body starts (after the
 * empty line, or at the first line that is neither a field nor a
 * continuation, or len). */
void sv_mail_parse_header_block(struct sv_arena *a, const char *p, size_t len,
				struct sv_hdr **hdrs_r, size_t *n_r, size_t *body_off_r);

/* First field called name among hdrs (linear; for MIME part headers). */
/* The fields as the message was read (version 0, whatever the edits):
 * arena memory, valid until sv_msg_free, unlike a view's. */
struct sv_hdr *sv_mail_original_headers(struct sv_msg *m, size_t *n_r);
struct sv_hdr *sv_mail_find_field(struct sv_hdr *hdrs, size_t n, const char *name);

/* Hash of a field name, ASCII case-folded (FNV-1a). */
uint32_t sv_mail_name_hash(const char *name, size_t len);

/* Convert n bytes in charset cs (cslen bytes, not NUL-terminated; an RFC
 * 2231 "*lang" suffix is ignored) to UTF-8, appending to out. Invalid input
 * becomes U+FFFD. Returns false (and appends nothing) when the charset is
 * unknown to us and to iconv. */
bool sv_mail_to_utf8(struct sv_buf *out, const char *cs, size_t cslen, const char *in, size_t n);

/* Convert the sv_malloc'd block *p_r (*n_r bytes, NUL after them) to UTF-8
 * in place, as sv_mail_to_utf8 would, growing it with sv_realloc instead
 * of writing a second copy. Only for the charsets converted without iconv
 * (UTF-8, US-ASCII, ISO-8859-1); false, block untouched, for any other. */
bool sv_mail_to_utf8_inplace(char **p_r, size_t *n_r, const char *cs, size_t cslen);

/* True when sv_mail_to_utf8 would give back in unchanged (in charset cs
 * already is valid UTF-8), so the caller can use in and need not copy. */
bool sv_mail_utf8_unchanged(const char *cs, size_t cslen, const char *in, size_t n);

/* Append s to out with every malformed UTF-8 sequence replaced by U+FFFD. */
void sv_mail_utf8_sanitize(struct sv_buf *out, const char *s, size_t n);

/* RFC 2045 §6.8 base64, tolerant: characters outside the alphabet are
 * skipped, padding optional, trailing partial quanta dropped. */
void sv_mail_base64_decode(struct sv_buf *out, const char *s, size_t n);
/* RFC 2045 §6.7 quoted-printable, tolerant: soft line breaks removed,
 * malformed "=" sequences kept as written. */
void sv_mail_qp_decode(struct sv_buf *out, const char *s, size_t n);

/* Unquote an RFC 5322 quoted-string body (without the quotes): quoted-pairs
 * undone, folding removed. Appends to out. */
void sv_mail_unquote(struct sv_buf *out, const char *s, size_t n);

#endif
