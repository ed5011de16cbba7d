/*
 * compose.h: the composer for mail sift generates (DESIGN.md §5): vacation
 * replies, reject MDNs, notifications, later enclose.
 *
 * A composer collects header fields in call order and one body (a part
 * tree), and sv_compose_finish writes the message. What it writes:
 *
 * - Line ends are LF everywhere: sift's stores take LF and the submission
 *   turns every LF into CRLF on the wire (smtp.c; sendmail does it itself).
 *   Input with CRLF or lone CR is normalised to LF.
 * - Header fields (RFC 5322 §2.2, §3.6): control characters of user data
 *   (CR and LF included) become spaces, so no argument can start a field
 *   of its own; non-ASCII text becomes RFC 2047 encoded words of at most 75
 *   characters that never split a UTF-8 character; lines are folded at 78
 *   where a space allows it and never exceed 998 (RFC 5322 §2.1.1).
 * - MIME (RFC 2045/2046): MIME-Version and the content fields come from the
 *   body, never from the caller's fields; boundaries are checked against
 *   everything they enclose; text is 7bit when it is ASCII with lines of at
 *   most 78, quoted-printable otherwise; an entity that has to stay 8-bit
 *   (message/rfc822 of an 8-bit original) is declared 8bit up to the top.
 * - Bounds: every input has a size limit (SV_COMPOSE_MAX_*), and the whole
 *   message a cap given at sv_compose_init; past a bound the call fails
 *   with SV_LIMIT and nothing is cut in the middle of anything.
 *
 * Errors are sticky: the first failure is kept in the composer, later calls
 * do nothing and return it, and sv_compose_finish returns it, so a caller
 * may check once at the end. Part constructors return NULL on failure.
 *
 * The clock, time zone, process id and random bits come in through
 * struct sv_compose_ids, so tests get byte-exact output.
 */
#ifndef SV_COMPOSE_H
#define SV_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/status.h"
#include "mail/message.h"

/* Input bounds. */
#define SV_COMPOSE_MAX_FIELD 16384   /* one header field value, bytes */
#define SV_COMPOSE_MAX_NAME 76       /* a field name (so "Name: " fits 78) */
#define SV_COMPOSE_MAX_PHRASE 256    /* a display name, bytes */
#define SV_COMPOSE_MAX_ADDR 254      /* an addr-spec (RFC 5321 §4.5.3.1.3) */
#define SV_COMPOSE_MAX_LOCAL 64      /* its local part (RFC 5321 §4.5.3.1.1) */
#define SV_COMPOSE_MAX_MSGID 250     /* one msg-id with its angle brackets */
#define SV_COMPOSE_MAX_REFS 20       /* msg-ids kept in References */
#define SV_COMPOSE_MAX_PARTS 64      /* parts in one message */
#define SV_COMPOSE_LINE 78           /* RFC 5322 §2.1.1 SHOULD */
#define SV_COMPOSE_HARD_LINE 998     /* RFC 5322 §2.1.1 MUST */
#define SV_COMPOSE_DATE_SIZE 40      /* a formatted date with its NUL */

/* What makes a message unique and dated: injected for tests. */
struct sv_compose_ids {
	time_t now;          /* the Date and the Message-ID's time */
	int tz_minutes;      /* local offset east of UTC, -1439..1439 */
	unsigned long pid;   /* the Message-ID's process part */
	uint64_t random;     /* fresh random bits for this message */
};

/* Fill ids from the system: time(), the local offset (tm_gmtoff), getpid()
 * and getrandom() (the clock and pid mixed when it is not available). */
void sv_compose_ids_system(struct sv_compose_ids *ids);

struct sv_compose_part; /* a MIME entity, owned by its composer */

struct sv_compose {
	struct sv_arena *arena;       /* parts and their bodies */
	struct sv_buf head;           /* the header fields written so far */
	struct sv_compose_part *body; /* NULL: an empty text/plain body */
	struct sv_compose_ids ids;
	size_t cap;                   /* bytes the finished message may take */
	size_t used;                  /* bytes the pieces hold so far */
	unsigned nparts, nboundaries;
	enum sv_status err;           /* first failure, sticky */
	char message_id[SV_COMPOSE_MAX_MSGID + 1]; /* "<...>" once written */
};

/* Start a message; cap bounds the finished message in bytes. ids is
 * copied (NULL: sv_compose_ids_system). */
void sv_compose_init(struct sv_compose *c, const struct sv_compose_ids *ids, size_t cap);
/* Release everything the composer holds (safe after finish, and twice). */
void sv_compose_free(struct sv_compose *c);

/* ---- header fields (written in call order) ------------------------------ */

/*
 * An unstructured field (RFC 5322 §3.2.5, §3.6.5: Subject, Comments,
 * X-*; also Auto-Submitted's simple values). value is UTF-8 (invalid bytes
 * become U+FFFD); control characters become spaces, runs of whitespace one
 * space, leading and trailing whitespace is dropped. Words that need it
 * (non-ASCII, "=?" inside, longer than 900 bytes) are RFC 2047 encoded,
 * adjacent ones together with the spaces between them (RFC 2047 §6.2). name must be 1..SV_COMPOSE_MAX_NAME
 * printable ASCII characters without ':' and not a field the body owns
 * (MIME-Version, Content-Type, Content-Transfer-Encoding): SV_FAIL.
 */
enum sv_status sv_compose_header(struct sv_compose *c, const char *name, const char *value,
				 size_t len);
/*
 * The field sv_compose_header writes (value cleaned, words RFC 2047
 * encoded where they need it, folded at 78 columns, ended by "\n"),
 * appended to out without a cap, for a caller that edits an existing
 * header (editheader, RFC 5293 §4). name (NUL-terminated) is the caller's
 * to check.
 */
void sv_compose_format_field(struct sv_buf *out, const char *name, const char *value, size_t len);
/*
 * An address field with one mailbox (RFC 5322 §3.4): "display <addr>" or
 * the bare addr-spec when display is NULL or empty. The display name is
 * written as atoms, a quoted-string, or RFC 2047 encoded words (RFC 2047
 * §5(3)) when it is not ASCII. addr must be a plain ASCII addr-spec
 * (dot-atom or quoted local part, dot-atom or literal domain, lengths of
 * RFC 5321): SV_FAIL otherwise.
 */
enum sv_status sv_compose_address_header(struct sv_compose *c, const char *name,
					 const char *display, const char *addr);
/* "Date: Tue, 5 Mar 2024 09:07:00 +0100" (RFC 5322 §3.3) for t in the
 * given offset east of UTC (minutes, -1439..1439). */
enum sv_status sv_compose_date(struct sv_compose *c, time_t t, int tz_minutes);
/* Write t as RFC 5322 §3.3 date-time into out (an offset out of range
 * counts as 0, a year past 9999 as the epoch). */
void sv_compose_format_date(char out[SV_COMPOSE_DATE_SIZE], time_t t, int tz_minutes);
/* "Message-ID: <time.pid.random@domain>" from the composer's ids (RFC
 * 5322 §3.6.4); the id, brackets included, is kept in c->message_id.
 * domain must be a dot-atom host name: SV_FAIL otherwise. */
enum sv_status sv_compose_message_id(struct sv_compose *c, const char *domain);
/* A field of msg-ids (In-Reply-To, References): ids is a space-separated
 * list as sv_compose_reply_refs gives it; each must be a msg-id "<l@r>"
 * without whitespace or controls (SV_FAIL). Folded between ids. */
enum sv_status sv_compose_msgid_header(struct sv_compose *c, const char *name, const char *ids,
				       size_t len);

/* ---- reply helpers -------------------------------------------------------- */

/*
 * RFC 5322 §3.6.4 for a reply to a message with these fields (values as
 * written, NULL or empty when absent): in_reply_to_r gets the parent's
 * msg-id (empty when it has none); references_r gets the parent's
 * References (or, without one, its In-Reply-To when that holds exactly one
 * id) followed by its Message-ID, only well-formed ids, at most
 * SV_COMPOSE_MAX_REFS of them (the first, the thread's root, and the
 * latest), space-separated. Both buffers are reset first. Never fails
 * for content reasons: malformed ids are left out.
 */
void sv_compose_reply_refs(const char *msgid, size_t msgid_len, const char *refs,
			   size_t refs_len, const char *irt, size_t irt_len,
			   struct sv_buf *in_reply_to_r, struct sv_buf *references_r);
/*
 * The subject of a response (RFC 3834 §3.1.5, RFC 5230 §5.2): prefix
 * ("Auto: ", "Re: ") and the original subject with its encoded words
 * decoded, whitespace unfolded and collapsed. When the subject already
 * starts with the prefix (ASCII case-insensitive, the space after the
 * colon optional) it is not added again: no "Auto: Auto: ". out is reset
 * first; the result is UTF-8 for sv_compose_header.
 */
void sv_compose_reply_subject(struct sv_buf *out, const char *prefix, const char *orig,
			      size_t len);
/*
 * The fields of an automatic response to orig (RFC 3834 §3.1, RFC 5230
 * §5): Subject (subject, or prefix + the original's), In-Reply-To and
 * References (when the original has ids), Auto-Submitted: auto-replied.
 */
enum sv_status sv_compose_reply_headers(struct sv_compose *c, struct sv_msg *orig,
					const char *prefix, const char *subject);

/* ---- the body ------------------------------------------------------------- */

/* A text/plain; charset=utf-8 part from UTF-8 text (invalid bytes become
 * U+FFFD, NUL is dropped, a final line end is added). */
struct sv_compose_part *sv_compose_text_part(struct sv_compose *c, const char *text, size_t len);
/*
 * A part from a caller-given MIME entity (vacation :mime, RFC 5230 §4.7):
 * its header fields, an empty line, its body. Only Content-* fields are
 * kept (others could forge the message's own fields); MIME-Version is
 * dropped. A single part whose body is not 7-bit with lines of at most
 * 998 is re-encoded quoted-printable (when declared 7bit, 8bit, binary or
 * nothing); a multipart or message entity must already be 7-bit clean.
 * Malformed fields, 8-bit field text and non-conforming content: SV_FAIL.
 */
struct sv_compose_part *sv_compose_entity_part(struct sv_compose *c, const char *entity,
					       size_t len);
/*
 * A leaf with a given content type ("type/subtype" with optional
 * "; param=value" parameters, printable ASCII). The body is encoded as it
 * needs: 7bit when ASCII with lines of at most 998, else quoted-printable
 * for text types, base64 for other discrete types; a message body is never
 * encoded (RFC 2046 §5.2.1): 8bit when it has 8-bit bytes, SV_FAIL when
 * a line is longer than 998.
 */
struct sv_compose_part *sv_compose_leaf_part(struct sv_compose *c, const char *ctype,
					     const char *body, size_t len);
/*
 * The original message attached: message/rfc822 (RFC 2046 §5.2.1) with
 * headers_only false, text/rfc822-headers (RFC 6522 §4) with it true.
 * A leading mbox "From " line is skipped. A full original with 8-bit
 * bytes is declared 8bit; one with a NUL or a line longer than 998 cannot
 * be carried unencoded (RFC 2046 §5.2.1) and becomes its headers, as does
 * one larger than the cap. Headers that are not 7-bit are
 * quoted-printable.
 */
struct sv_compose_part *sv_compose_message_part(struct sv_compose *c, const char *msg,
						size_t len, bool headers_only);
/* A multipart/<subtype> container (mixed, report, alternative...); params
 * (may be NULL) are extra Content-Type parameters such as
 * "report-type=disposition-notification". The boundary is chosen at finish. */
struct sv_compose_part *sv_compose_multipart(struct sv_compose *c, const char *subtype,
					     const char *params);
/* Append child to the multipart parent. A part is used once. */
enum sv_status sv_compose_add(struct sv_compose *c, struct sv_compose_part *parent,
			      struct sv_compose_part *child);
/* Make part the message body (replacing an earlier one). */
enum sv_status sv_compose_set_body(struct sv_compose *c, struct sv_compose_part *part);
/* Shorthands: sv_compose_set_body of a text part / an entity part. */
enum sv_status sv_compose_body_text(struct sv_compose *c, const char *text, size_t len);
enum sv_status sv_compose_mime_body(struct sv_compose *c, const char *entity, size_t len);

/*
 * Write the message (fields, MIME-Version, the body's content fields, an
 * empty line, the body) to out (appended). SV_LIMIT when it would exceed
 * the cap; out is left as it was on any failure.
 */
enum sv_status sv_compose_finish(struct sv_compose *c, struct sv_buf *out);

/* ---- reject MDNs (RFC 5429 §2.1, RFC 8098) -------------------------------- */

struct sv_compose_mdn {
	struct sv_msg *orig;        /* the rejected message */
	const char *reason;         /* UTF-8, the human-readable part */
	size_t reason_len;
	const char *reporting_ua;   /* "host; sift 1.0" (RFC 8098 §3.2.1) */
	const char *final_recipient;    /* addr-spec (RFC 8098 §3.2.4) */
	const char *original_recipient; /* addr-spec or NULL (§3.2.3) */
	const char *from;           /* the MDN's From: (the recipient) */
	const char *from_display;   /* may be NULL */
	const char *to;             /* the MDN's To: (the envelope sender) */
	const char *domain;         /* for the Message-ID */
	const char *subject;        /* NULL: "Rejected: " + original subject */
	bool headers_only;          /* attach text/rfc822-headers, not the whole
				       message */
};

/*
 * A complete reject MDN: multipart/report; report-type=disposition-
 * notification with the reason as text/plain, the message/disposition-
 * notification part (Reporting-UA, Original-Recipient, Final-Recipient,
 * Original-Message-ID, Disposition: automatic-action/MDN-sent-
 * automatically; deleted) and the original (or its headers when asked,
 * or when the whole original would not fit the cap). Fields: Date,
 * From, To, Subject, Message-ID, In-Reply-To, References,
 * Auto-Submitted: auto-replied (rejected). Appended to out.
 */
enum sv_status sv_compose_mdn(const struct sv_compose_mdn *mdn, const struct sv_compose_ids *ids,
			      size_t cap, struct sv_buf *out);

/* ---- RFC 2047 ------------------------------------------------------------- */

/*
 * Encode UTF-8 text (valid, no controls: the caller cleans it) as RFC 2047
 * encoded words in UTF-8, Q or B whichever is shorter, each at most 75
 * characters and none splitting a character, separated by a space. Q
 * uses the restricted alphabet of RFC 2047 §5(3), so the words are valid
 * in a phrase as well as in unstructured text. Appended to out.
 */
void sv_rfc2047_encode(struct sv_buf *out, const char *s, size_t len);

#endif
