/*
 * submit-int.h: what the submission back-ends (sendmail.c, smtp.c) share.
 * Not part of the interface (submit.h); nothing outside src/delivery
 * includes it.
 */
#ifndef SV_SUBMIT_INT_H
#define SV_SUBMIT_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "delivery/submit.h"

/* SV_FAIL, with the reason in err, for an envelope address that must not
 * reach a command line or an SMTP command: one that starts with '-',
 * holds a space, a control character, '<' or '>', or (a recipient) is
 * empty. The sender "" is the null sender and passes. Addresses come from
 * scripts: they are hostile. */
enum sv_status sv_submit_check_address(const char *addr, bool sender, struct sv_buf *err);

/* Both checks for a whole message: the sender, then every recipient (at
 * least one). */
enum sv_status sv_submit_check_envelope(const struct sv_mail_out *m, struct sv_buf *err);

/* Append what a peer said (a child's standard error, a server's reply) to
 * err: trailing line ends dropped, control characters escaped, cut at 512
 * bytes. */
void sv_submit_put_text(struct sv_buf *err, const char *s, size_t n);

/* Writing to a pipe or a socket whose reader is gone raises SIGPIPE, which
 * kills a delivery agent by default. The guard blocks it for the calling
 * thread and, on release, swallows a SIGPIPE raised meanwhile (one that
 * was pending before stays pending), then restores the mask. */
struct sv_sigpipe_guard {
	sigset_t old;
	bool was_pending;
};
void sv_sigpipe_hold(struct sv_sigpipe_guard *g);
void sv_sigpipe_release(struct sv_sigpipe_guard *g);

/* Milliseconds of the monotonic clock, for step deadlines. */
int64_t sv_submit_now_ms(void);

#endif
