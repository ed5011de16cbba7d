/*
 * message.h: the message model (DESIGN.md §4).
 *
 * A message is read once into memory; editheader's changes are versions
 * over it (below). Nothing is parsed until asked for:
 * the header index is built on the first header access, a header's decoded
 * form (RFC 2047) and its address list (RFC 5322 §3.4) are computed on
 * first use and cached, the MIME tree is parsed when body/mime tests ask.
 * Nothing is ever rejected: CRLF or LF line ends, a leading mbox "From "
 * line, 8-bit or broken headers, a missing header/body separator are all
 * read as well as they can be.
 *
 * All memory belongs to the message's arena; pointers handed out stay valid
 * until sv_msg_free.
 */
#ifndef SV_MESSAGE_H
#define SV_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/status.h"

struct sv_msg;
struct sv_buf;

/* One header field. */
struct sv_hdr {
	const char *name;   /* as written (not NUL-terminated: use namelen) */
	size_t namelen;
	const char *raw;    /* the field body as written, folding kept, without
			       the final line break */
	size_t rawlen;
	const char *value;  /* unfolded (CRLF/LF before WSP removed), leading and
			       trailing whitespace trimmed, NUL-terminated */
	size_t vlen;
	struct sv_hdr *next_same; /* next field of the same name, in message order */
	unsigned index;     /* position among all fields, from 0 */
	/* caches, filled on demand */
	const char *decoded;
	size_t dlen;
	struct sv_addr_list *addrs;
};

/* One address of an address-list header (RFC 5322 §3.4). */
struct sv_addr {
	const char *local;   /* local part, unquoted (quoted-pair undone) */
	size_t llen;
	const char *domain;  /* domain, NULL when there is none */
	size_t dlen;
	const char *addr;    /* "local@domain" (or what was there when invalid) */
	size_t alen;
	const char *display; /* display name, decoded (RFC 2047), may be NULL */
	size_t displen;
	bool valid;          /* syntactically valid addr-spec (RFC 5228 §5.1) */
};

struct sv_addr_list {
	struct sv_addr *v;
	size_t n;
};

/* MIME part (RFC 2045/2046). */
struct sv_mime_part {
	/* "type/subtype" lowercased; "text/plain" when missing (RFC 2045 §5.2),
	   "message/rfc822" parts are parsed as a child message */
	const char *ctype;
	const char *type, *subtype;     /* lowercased, NUL-terminated */
	const char *charset;            /* lowercased, NULL when none */
	const char *boundary;           /* multipart only */
	const char *encoding;           /* Content-Transfer-Encoding, lowercased,
					   "7bit" when missing */
	const char *disposition;        /* lowercased type, NULL when none */
	const char *filename;           /* decoded (RFC 2231/2047) or NULL */
	const char *header;             /* this part's header block, raw */
	size_t hlen;
	const char *body;               /* this part's body, raw (still encoded) */
	size_t blen;
	struct sv_hdr *hdrs;            /* the part's own fields, in order */
	size_t nhdrs;
	struct sv_mime_part *parent, *children, *next;
	unsigned depth;
	bool multipart, is_message;
	/* multipart only: the text before the first delimiter and after the
	   close delimiter (RFC 2046 §5.1.1 preamble and epilogue; epilogue
	   NULL without a close delimiter), within body */
	const char *prologue, *epilogue;
	size_t prolen, epilen;
	/* Not split although it may hold parts: past max-mime-parts it is the
	   rest of its parent's body from the first part not split off (no
	   header of its own, reported as text/plain, no charset); at
	   max-mime-depth (or a multipart without a boundary) it is that part,
	   with its own header. Its text is its content with the transfer
	   encoding of its own header undone and no charset conversion, then
	   the decoded content of each encoded part directly inside it; body
	   selects it for :text and for every :content type. */
	bool undivided;
	bool rest; /* undivided, and the rest past max-mime-parts */
	/* cache for sv_msg_part_text */
	const char *text;
	size_t tlen;
	bool text_done;
	/* cache for sv_msg_part_decoded */
	const char *decoded;
	size_t declen;
	bool decoded_done;
};

/* Read a message. data is copied; a leading "From " line (mbox) is skipped
 * and remembered (sv_msg_mbox_from). Never fails for content reasons. */
struct sv_msg *sv_msg_new(const char *data, size_t len);
/*
 * Like sv_msg_new, without copying: the message reads data in place, so
 * data[len] must be '\0' (otherwise this copies, as sv_msg_new) and data
 * must stay unchanged until sv_msg_free. For callers that hold the message
 * in memory anyway (sieve-test's batch mode).
 */
struct sv_msg *sv_msg_new_borrowed(const char *data, size_t len);
void sv_msg_free(struct sv_msg *m);
struct sv_arena *sv_msg_arena(struct sv_msg *m);

/* The message bytes as stored (without the mbox From line). */
const char *sv_msg_data(const struct sv_msg *m, size_t *len_r);
/* The sender of the mbox "From " line, or NULL. */
const char *sv_msg_mbox_from(const struct sv_msg *m);
/* RFC 5228 §5.9: size in octets in the RFC 5322 form, i.e. every line break
 * counted as CRLF. */
uint64_t sv_msg_size(const struct sv_msg *m);

/* All fields of the current version (see "header edits" below) in order
 * (index built on first use). */
struct sv_hdr *sv_msg_headers(struct sv_msg *m, size_t *n_r);
/* First field of that name (case-insensitive, RFC 5322 §1.2.2) in the
 * current version, or NULL; the rest follow through next_same. */
struct sv_hdr *sv_msg_header(struct sv_msg *m, const char *name, size_t namelen);
size_t sv_msg_header_count(struct sv_msg *m, const char *name, size_t namelen);
/* The unfolded value with RFC 2047 encoded words decoded to UTF-8 (any
 * charset iconv knows; unknown ones are left encoded). Cached. */
const char *sv_msg_header_decoded(struct sv_msg *m, struct sv_hdr *h, size_t *len_r);
/* The field's addresses (RFC 5322 §3.4: groups flattened, comments dropped,
 * obsolete routes tolerated). Invalid entries are returned with
 * valid=false and their raw text in addr. Cached. */
const struct sv_addr_list *sv_msg_header_addresses(struct sv_msg *m, struct sv_hdr *h);

/* ---- header edits (editheader, RFC 5293; DESIGN.md §5) ----
 *
 * Edits are an overlay over the parsed fields: each one makes a new
 * version of the header (1, 2, ...; 0 is the message as read), and from
 * then on sv_msg_headers, sv_msg_header (with next_same) and
 * sv_msg_header_count show the current version, so every test that reads
 * the header sees the edits (RFC 5293 §7). The body and the MIME tree are
 * the original's (§7 lets a change of Content-Type leave the parsing
 * alone), and so is sv_msg_size. A field pointer handed out stays valid
 * until the next edit; its strings until sv_msg_free.
 */

/* The current version: 0 until the first edit. */
unsigned sv_msg_version(const struct sv_msg *m);
/* The work the views cost since the last call: fields copied. Each reader
 * that comes after an edit rebuilds the view of the whole header, so
 * edits and readers taking turns cost the square of the fields; a caller
 * that runs hostile scripts charges it (editheader: to max-instructions). */
uint64_t sv_msg_take_view_work(struct sv_msg *m);
/* The longest name a field can be added with: "Name:" on a line of at most
 * 998 characters (RFC 5322 §2.1.1), a name being no place to fold. */
#define SV_MSG_FIELD_NAME_MAX 997
/*
 * Add a field (RFC 5293 §4) at the start of the header, or at its end when
 * last. name must be a valid field name (RFC 5322 §3.6.8 ftext, at most
 * SV_MSG_FIELD_NAME_MAX long, checked: SV_FAIL). The value is written as
 * unstructured text (RFC 5322 §3.2.5): control characters and line breaks
 * become spaces, runs of whitespace one, words that are not ASCII are RFC
 * 2047 encoded (RFC 5293 §4), and the field is folded at 78 columns; tests
 * see the value as written, decoded. SV_LIMIT when the message would grow
 * past cap bytes (0: no cap). A new version on SV_OK.
 */
enum sv_status sv_msg_add_field(struct sv_msg *m, const char *name, size_t namelen,
				const char *value, size_t vlen, bool last, uint64_t cap);
/*
 * Delete fields (RFC 5293 §5): each one a pointer from the current version
 * (others are ignored, as is a field named twice). One new version when
 * any is deleted; returns how many were.
 */
size_t sv_msg_delete_fields(struct sv_msg *m, struct sv_hdr *const *fields, size_t n);
/*
 * Forget the edits after version (a script that failed: RFC 5228 §2.10.6
 * cancels what it did, its edits too). Versions after it may be made
 * again by later edits, with other contents.
 */
void sv_msg_rewind(struct sv_msg *m, unsigned version);
/*
 * The bytes of a version: the header of that version (the fields kept
 * exactly as they were written, added ones with the message's own line
 * ends) and the original body, untouched. Version 0 is sv_msg_data's
 * bytes (no copy); any other is built when asked for and held until
 * another version is rendered, a rewind drops it, or sv_msg_free: one
 * rendering at a time, so a large message carried in many versions costs
 * one copy (the caller hands the bytes on before it asks for the next).
 * NULL for a version that does not exist (yet).
 */
const char *sv_msg_render(struct sv_msg *m, unsigned version, size_t *len_r);

/* Body start and length (after the header/body separator). */
const char *sv_msg_body(struct sv_msg *m, size_t *len_r);
/* Does the message have a body at all? A header not followed by the empty
 * line that ends it has none (then sv_msg_body is empty); an empty line
 * and nothing after it is an empty body. */
bool sv_msg_has_body(struct sv_msg *m);
/* The MIME tree (parsed on first use). Never NULL. */
struct sv_mime_part *sv_msg_mime(struct sv_msg *m);
/* Bounds of the MIME tree (settings max-mime-parts, max-mime-depth; the
 * defaults of limits.h until set). Past them nothing is dropped: what is
 * left becomes an undivided part (see struct sv_mime_part). A tree parsed
 * with other bounds is parsed again on next use. */
void sv_msg_set_mime_limits(struct sv_msg *m, uint64_t max_parts, uint64_t max_depth);
/* A part's content with its transfer encoding undone (base64,
 * quoted-printable) and, for "text" parts (any subtype), converted to UTF-8 from its
 * charset. Cached for the life of the message. No copy is made when the
 * part needs neither decoding nor conversion (7bit/8bit UTF-8 text). */
const char *sv_msg_part_text(struct sv_msg *m, struct sv_mime_part *p, size_t *len_r);
/*
 * The same text for one use (what body matches): kept for later calls
 * only while the texts kept so far stay within a small budget; otherwise
 * built for this call and handed over in *owned_r, which the caller
 * releases with sv_free once done with the text (NULL: nothing to free).
 * So a message's decoded parts are never all alive at once.
 */
const char *sv_msg_part_text_use(struct sv_msg *m, struct sv_mime_part *p, size_t *len_r,
				 char **owned_r);
/* Transfer decoding only (no charset conversion). Cached. */
const char *sv_msg_part_decoded(struct sv_msg *m, struct sv_mime_part *p, size_t *len_r);
/* A multipart's own text: its prologue and epilogue, joined by a line
 * break when both are there (RFC 2046 §5.1.1); "" for other parts. */
const char *sv_msg_part_outside(struct sv_msg *m, struct sv_mime_part *p, size_t *len_r);
/* The text a reader sees in an HTML document, s[0..n) in UTF-8, appended
 * to out: markup, comments, scripts and style sheets left out, character
 * references (&amp;, &#65;, &#x42;, the HTML 4 Latin-1 names and a few
 * more) decoded to UTF-8, whitespace runs as one space and block
 * elements as line breaks. Unknown references stay as written. */
void sv_mail_html_text(struct sv_buf *out, const char *s, size_t n);

/* Standalone helpers (also used on envelope strings and by tests). */

/* Parse one address-list string; results in arena. */
void sv_addr_parse_list(struct sv_arena *a, const char *s, size_t len,
			struct sv_addr_list *out);
/* Parse an address given alone, as an addr-spec with or without <>, as
 * leniently as header addresses (RFC 5322 obsolete forms, source routes
 * ignored); false when invalid. "<>" gives an empty address. */
bool sv_addr_parse_path(struct sv_arena *a, const char *s, size_t len, struct sv_addr *out);
/* Parse an SMTP envelope path exactly (RFC 5321 §4.1.2 Path or Mailbox,
 * with or without <>; RFC 6531 §3.3 UTF-8 in local part and domain): the
 * source route is dropped, a quoted local part unquoted; a local part
 * without a domain ("postmaster", "user", as a mail system hands over
 * local addresses) is valid with domain NULL; "<>" or "" is the null path
 * (valid, empty, domain NULL). Anything else is invalid: false, valid
 * false, local "", addr the text as given (trimmed). */
bool sv_addr_parse_smtp_path(struct sv_arena *a, const char *s, size_t len, struct sv_addr *out);
/* Decode RFC 2047 encoded words in s to UTF-8 into arena memory. */
const char *sv_rfc2047_decode(struct sv_arena *a, const char *s, size_t len, size_t *len_r);

#endif
