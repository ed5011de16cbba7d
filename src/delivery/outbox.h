/*
 * outbox.h: the submission back-end that records what was sent instead of
 * sending it (the test suite, dry runs); submit.h has the interface.
 */
#ifndef SV_OUTBOX_H
#define SV_OUTBOX_H

#include <stddef.h>

#include "lib/buf.h"
#include "delivery/submit.h"
#include "lib/status.h"

/* One recorded message. */
struct sv_sent {
	char *from;
	char **rcpts;
	size_t nrcpts;
	char *msg;
	size_t len;
};

struct sv_outbox {
	struct sv_submission base; /* sv_outbox_submission hands this out */
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
/* The submission interface that records into o (a message is recorded
 * when it is committed). */
struct sv_submission *sv_outbox_submission(struct sv_outbox *o);

#endif
