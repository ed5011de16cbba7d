/*
 * smtp.h: the submission back-end that sends each message over SMTP to a
 * relay (submit.h has the interface).
 */
#ifndef SV_SMTP_H
#define SV_SMTP_H

#include "delivery/submit.h"

/*
 * A submission that opens one SMTP session with o->relay per message
 * ("host", "host:port", "[v4 or v6 literal]:port"; port 25 by default):
 * EHLO (o->helo, else the host name), STARTTLS as o->starttls says (TLS
 * 1.2 or later; under SV_STARTTLS_REQUIRED the certificate must verify
 * against o->tls_ca or the system store and name the relay, under
 * SV_STARTTLS_MAY the session is encrypted when offered but the
 * certificate is not checked, as opportunistic TLS does), MAIL FROM, one
 * RCPT TO per recipient, DATA and the content (dot-stuffed, CRLF line
 * ends). Prepare stops before the final "."; commit sends it and reads
 * the verdict; rollback closes the connection without it, so the relay
 * discards the message. Replies 4xx are SV_TEMPFAIL, 5xx SV_FAIL (a
 * refused recipient fails the message); connection errors, timeouts
 * (o->timeout seconds per step) and every TLS failure are SV_TEMPFAIL.
 * SV_FAIL here when the relay or the EHLO name cannot be understood.
 */
enum sv_status sv_dlv_smtp_open(const struct sv_submit_opts *o, struct sv_submission **sub_r,
				struct sv_buf *err);

#endif
