/*
 * execute.h: carries out a script's result (DESIGN.md §5): the stores
 * first (with their flags), then what sends mail (redirect), then the
 * implicit keep into INBOX unless it was cancelled. A store that fails
 * falls back to INBOX; a failure of the fallback is a temporary failure of
 * the delivery (the message is never lost). Executed actions are marked,
 * so a result can be executed again after more actions were added.
 */
#ifndef SV_EXECUTE_H
#define SV_EXECUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "delivery/maildir.h"
#include "delivery/submit.h"
#include "lib/status.h"
#include "mail/message.h"
#include "vm/result.h"
#include "vm/vm.h"

struct sv_exec_ctx {
	struct sv_store *store;
	struct sv_submission *submit;
	const struct sv_envelope *env;
	const char *msg; /* the message as it is delivered */
	size_t len;
	/* Non-zero: the caller's name for these bytes, unique among the
	 * messages it files through this store (the store's msg_version), so
	 * copies into several folders may share one file. 0: no sharing.
	 * Edited versions get names of their own, the caller's name shifted
	 * left 16 bits with the version, so that two versions never share a
	 * file: a caller that files more than one message through a store
	 * must name them below 65536, or a name of its (65536 and up) could
	 * be an edited version's of another message. Past 65535 (either
	 * number) an edited version shares nothing (0). */
	unsigned msg_version;
	/* The message the scripts ran on (NULL: nobody edited it). Each
	 * action gets the bytes of the version it was recorded with
	 * (sv_action.msg_version, RFC 5293), the implicit keep the final one;
	 * version 0 is msg/len above. */
	struct sv_msg *message;
	/* Loop protection of redirect (NULL / 0: none): the recipient's own
	 * address is never a redirect target, a redirected message carries
	 * "X-Sieve-Redirected-From: <recipient>", and a message that already
	 * carries it for this recipient, or more Delivered-To fields than
	 * max_delivered_to, is not redirected again (it is kept instead). */
	const char *recipient;
	size_t max_delivered_to;
	/* Envelope sender of redirected mail (NULL: the message's own, as
	 * RFC 5228 §4.2 says; "" the null sender); see sv_dlv_redirect_sender. */
	const char *redirect_from;
	/* Where keep and the implicit keep file (NULL: INBOX); INBOX when it
	 * cannot be filed there (sieve-deliver -m). */
	const char *keep_mailbox;
	/* Each failure, as one line without location (may be NULL). */
	void (*error)(void *ctx, const char *text);
	void *error_ctx;
};

/* One execution of a result: the context, and what the executor learnt
 * while preparing (whether INBOX already gets the message). Action kinds
 * reach the services through it. */
struct sv_txn {
	const struct sv_exec_ctx *c;
	bool inbox_prepared; /* a prepared store files into INBOX */
};

/*
 * Execute the result's actions that were not executed yet, as one
 * transaction (DESIGN.md §4): every action is prepared (stores, then sends,
 * then state), then every one is committed in the same order; then, when
 * implicit_keep is true, the implicit keep (within the same transaction).
 * An action that cannot be carried out (SV_FAIL from prepare) is reported
 * and, when it cancelled the implicit keep, the message is filed into
 * INBOX instead. A temporary failure anywhere before the sends are
 * committed rolls every store back, so that nothing of this attempt is
 * left and the MTA's retry delivers exactly once.
 *
 * SV_OK when everything succeeded, SV_FAIL when an action failed but the
 * message is safe, SV_TEMPFAIL when the delivery must be retried, SV_LIMIT
 * when a store refused the message for good (over quota with
 * quota-exceeded = reject): nothing was filed and the delivery bounces.
 */
enum sv_status sv_dlv_execute(struct sv_result *r, const struct sv_exec_ctx *c, bool implicit_keep);

/*
 * The envelope sender redirect uses under the redirect-envelope-from rule
 * (limits.h): "sender" (the original one), "recipient", "orig_recipient",
 * "user_email" (user_email), "postmaster" (postmaster) or "<address>". A
 * null original sender stays null whatever the rule (a bounce must not
 * bounce). The result points into env, the arguments or out.
 */
const char *sv_dlv_redirect_sender(const char *rule, const struct sv_envelope *env,
				   const char *user_email, const char *postmaster,
				   struct sv_buf *out);

/* The implicit keep alone (after a chain of scripts): INBOX with the keep
 * flags, unless it was cancelled. SV_TEMPFAIL when it failed. */
enum sv_status sv_dlv_implicit_keep(struct sv_result *r, const struct sv_exec_ctx *c);

/* The steps of the action kinds that file the message (keep, store): into
 * a->target (INBOX when NULL) with a's flags. */
enum sv_status sv_dlv_store_prepare(struct sv_txn *t, struct sv_action *a, struct sv_buf *err);
/* keep: into the keep mailbox (sieve-deliver -m), else INBOX. */
enum sv_status sv_dlv_keep_prepare(struct sv_txn *t, struct sv_action *a, struct sv_buf *err);
enum sv_status sv_dlv_store_commit(struct sv_txn *t, struct sv_action *a, struct sv_buf *err);
void sv_dlv_store_rollback(struct sv_txn *t, struct sv_action *a);
void sv_dlv_store_release(struct sv_txn *t, struct sv_action *a);

/* The steps of redirect (RFC 5228 §4.2): the message as it is, the envelope
 * sender kept, to a->target through the submission interface. */
enum sv_status sv_dlv_redirect_prepare(struct sv_txn *t, struct sv_action *a, struct sv_buf *err);
/* The delivered message as it arrived, parsed, for an action that writes
 * about it (reject's MDN, a notification): the scripts' own parse when
 * no script edited it, else a parse of the bytes as they arrived (read
 * in place where they allow it). Release with sv_dlv_exec_message_done. */
struct sv_msg *sv_dlv_exec_message(const struct sv_exec_ctx *c);
void sv_dlv_exec_message_done(const struct sv_exec_ctx *c, struct sv_msg *m);

/* For action kinds that hand a message to the submission in prepare
 * (a->txn its handle, NULL when nothing was to be sent): commit lets it go
 * (a failure is "failed to WHAT <TO>: why", TO left out when NULL),
 * rollback abandons it. */
enum sv_status sv_dlv_send_commit(struct sv_txn *t, struct sv_action *a, const char *what,
				  const char *to, size_t tolen, struct sv_buf *err);
void sv_dlv_send_rollback(struct sv_txn *t, struct sv_action *a);
enum sv_status sv_dlv_redirect_commit(struct sv_txn *t, struct sv_action *a, struct sv_buf *err);
void sv_dlv_redirect_rollback(struct sv_txn *t, struct sv_action *a);

#endif
