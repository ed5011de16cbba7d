/*
 * outbox.h: the submission interface every outbound message goes through
 * (redirect, and later vacation, reject/MDN, notify: DESIGN.md §6), and the
 * outbox implementation that records what was sent (the test suite, dry
 * runs). sendmail and SMTP implementations sit behind the same interface.
 */
#ifndef SV_OUTBOX_H
#define SV_OUTBOX_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/status.h"

struct sv_submission {
	/* Send msg from the envelope sender (from: "" is the null sender) to
	 * the n recipients. SV_TEMPFAIL when it may work later. */
	enum sv_status (*send)(void *ctx, const char *from, const char *const *rcpts, size_t n,
	                       const char *msg, size_t len, struct sv_buf *err);
	void *ctx;
};

/* One recorded message. */
struct sv_sent {
	char *from;
	char **rcpts;
	size_t nrcpts;
	char *msg;
	size_t len;
};

struct sv_outbox {
	struct sv_sent *v;
	size_t n, cap;
	char *dir; /* when set, each message is also written there */
};

/* dir (may be NULL): a folder where each message is written as N.eml with
 * its envelope in the first lines ("MAIL FROM:<...>", "RCPT TO:<...>",
 * empty line). */
void sv_outbox_init(struct sv_outbox *o, const char *dir);
void sv_outbox_free(struct sv_outbox *o);
/* Forget every recorded message. */
void sv_outbox_clear(struct sv_outbox *o);
/* The submission interface that records into o. */
struct sv_submission sv_outbox_submission(struct sv_outbox *o);

#endif
