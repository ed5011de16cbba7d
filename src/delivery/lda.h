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

#endif
