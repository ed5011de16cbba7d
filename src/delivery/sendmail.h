/*
 * sendmail.h: the submission back-end that hands each message to the
 * local MTA's sendmail program (submit.h has the interface).
 */
#ifndef SV_SENDMAIL_H
#define SV_SENDMAIL_H

#include "delivery/submit.h"

/*
 * A submission that runs `o->sendmail -i -f FROM -- RCPT...` (no shell;
 * the null sender is passed as "<>", which Postfix's and Exim's sendmail
 * both read as the empty address) once per message. Prepare starts the
 * program and writes the whole message to its standard input, which stays
 * open; commit closes it and waits: exit 0 is SV_OK, 75 (EX_TEMPFAIL) or
 * death by a signal SV_TEMPFAIL, anything else SV_FAIL with the program's
 * output in err. Rollback kills the program before its input ends, so it
 * queues nothing. A program that takes longer than o->timeout seconds to
 * read the message, or to finish once it has it, is killed: SV_TEMPFAIL.
 * The caller has checked o->sendmail (sv_dlv_submission_open does).
 * Children are reaped with waitpid(): SIGCHLD must not be ignored.
 */
enum sv_status sv_dlv_sendmail_open(const struct sv_submit_opts *o, struct sv_submission **sub_r,
				    struct sv_buf *err);

#endif
