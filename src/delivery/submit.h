/*
 * submit.h: the submission interface every outbound message goes through
 * (redirect now; vacation, reject/MDN, notify, route later: DESIGN.md §7).
 * Back-ends: the recording outbox (tests, dry runs, outbox.c); a sendmail
 * pipe and SMTP to a relay sit behind the same interface.
 *
 * Sending is two-phase, like filing (DESIGN.md §4): prepare takes the
 * message as far as it can go while it can still be taken back (a
 * sendmail child has the whole message on its standard input, not yet
 * closed; an SMTP session has sent the content but not the final dot),
 * commit lets it go, rollback abandons it.
 */
#ifndef SV_SUBMIT_H
#define SV_SUBMIT_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/status.h"

/* One message to send. */
struct sv_mail_out {
	const char *from;            /* envelope sender; "" is the null sender */
	const char *const *rcpts;    /* envelope recipients */
	size_t nrcpts;
	const char *msg;             /* the whole message */
	size_t len;
};

/* One message prepared for sending. */
struct sv_submit_txn;

struct sv_submission {
	/* SV_FAIL when this message can never be sent (a recipient the relay
	 * refuses for good), SV_TEMPFAIL when it may work later. m and its
	 * bytes need not outlive the call. */
	enum sv_status (*prepare)(struct sv_submission *s, const struct sv_mail_out *m,
				  struct sv_submit_txn **tx_r, struct sv_buf *err);
	/* Let it go; the transaction is over either way. */
	enum sv_status (*commit)(struct sv_submission *s, struct sv_submit_txn *tx,
				 struct sv_buf *err);
	/* Abandon a prepared message: nothing is sent. */
	void (*rollback)(struct sv_submission *s, struct sv_submit_txn *tx);
	void (*close)(struct sv_submission *s);
};

/* Whether an SMTP session uses STARTTLS. */
enum sv_starttls {
	SV_STARTTLS_NO,       /* never */
	SV_STARTTLS_MAY,      /* when the relay offers it; plain text otherwise */
	SV_STARTTLS_REQUIRED, /* a relay without it, or a certificate that does not
			       * verify, is a temporary failure */
};

/* How the submission is opened (sift.conf's submission keys). */
struct sv_submit_opts {
	const char *sendmail;   /* the sendmail program (default /usr/sbin/sendmail) */
	const char *relay;      /* "host[:port]" (port 25 by default): SMTP to this
				 * relay instead of sendmail; NULL or "": sendmail */
	enum sv_starttls starttls;
	const char *tls_ca;     /* CA file that verifies the relay (NULL: the system's) */
	const char *helo;       /* name in EHLO (NULL: the host name) */
	unsigned timeout;       /* seconds each SMTP step may take */
};

/* The defaults: /usr/sbin/sendmail, no relay, STARTTLS when offered, 300 s. */
void sv_submit_opts_init(struct sv_submit_opts *o);

/* The back-end the options name: a sendmail pipe (`sendmail -i -f FROM --
 * RCPT...`), or an SMTP session with the relay. SV_FAIL for options that
 * cannot work (no such program), with the reason in err. */
enum sv_status sv_dlv_submission_open(const struct sv_submit_opts *o, struct sv_submission **sub_r,
				      struct sv_buf *err);

/* Prepare and commit at once. */
enum sv_status sv_submit_send(struct sv_submission *s, const struct sv_mail_out *m,
			      struct sv_buf *err);

#endif
