/*
 * lda.h: what the local delivery agent does with what the MTA hands it,
 * before any script runs (../shared/notes/lda.md): the message bytes as
 * they arrive (a leading mbox "From " line, CRLF or LF), and where the
 * envelope comes from when options, the environment and the message each
 * say something.
 */
#ifndef SV_LDA_H
#define SV_LDA_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

/*
 * Make the message as it arrived into the message as it is stored: a
 * leading mbox "From sender date" line is removed (the sender it names is
 * copied into from_line_r, when not NULL, unless it is "MAILER-DAEMON" or
 * empty) and CRLF line ends become LF. In place.
 */
void sv_lda_normalize(struct sv_buf *msg, struct sv_buf *from_line_r);

/* The value of the first header field called name (case-insensitive) in
 * the header of msg, unfolded and trimmed, into out; false when absent. */
bool sv_lda_header(const char *msg, size_t len, const char *name, struct sv_buf *out);

/* Count the header fields called name; with value non-NULL, only those
 * whose address (between '<' and '>', or the whole trimmed value) equals
 * value without case. */
size_t sv_lda_header_count(const char *msg, size_t len, const char *name, const char *value);

/* The address inside a Return-Path (or any "<addr>" value): "" for "<>". */
void sv_lda_angle_addr(const char *v, size_t len, struct sv_buf *out);

/*
 * The envelope sender by precedence: -f, else $SENDER (Postfix local(8)),
 * else the mbox From line, else Return-Path; NULL when none says.
 */
const char *sv_lda_pick(const char *const *candidates, size_t n);

/* Append msg to out without the header fields called name (any case,
 * continuation lines included); the body as it is. */
void sv_lda_copy_without(const char *msg, size_t len, const char *name, struct sv_buf *out);

/* What says who the envelope is, each NULL when it says nothing. */
struct sv_lda_sources {
	const char *opt_from, *opt_orig, *opt_final; /* -f, -a, -r */
	const char *env_sender;    /* $SENDER ("" is the null sender) */
	const char *env_orig;      /* $ORIGINAL_RECIPIENT */
	const char *env_recipient; /* $RECIPIENT */
	const char *from_line;     /* sender of the mbox "From " line */
	const char *return_path;   /* address inside Return-Path: ("" for <>) */
	const char *user, *host;   /* user@host is the last resort recipient */
};

/* The envelope of a delivery (strings in out or in the sources). */
struct sv_lda_envelope {
	const char *from;     /* "" is the null sender; NULL: nothing said */
	const char *orig_to;  /* original recipient */
	const char *final_to; /* final recipient */
};

/*
 * Decide the envelope by precedence (../shared/notes/lda.md). Sender: -f,
 * else $SENDER, else the From line, else Return-Path; "<>" and "" are the
 * null sender, "<a@b>" is a@b. Original recipient: -a, else
 * $ORIGINAL_RECIPIENT, else the final recipient's sources, else user@host.
 * Final recipient: -r, else $RECIPIENT, else the original recipient. An
 * empty recipient (an empty pipe(8) macro) says nothing.
 */
void sv_lda_envelope(const struct sv_lda_sources *in, struct sv_lda_envelope *out,
		     struct sv_buf *scratch);

#endif
