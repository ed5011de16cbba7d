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
#include "delivery/outbox.h"
#include "lib/status.h"
#include "vm/result.h"
#include "vm/vm.h"

struct sv_exec_ctx {
	struct sv_store *store;
	const struct sv_submission *submit;
	const struct sv_envelope *env;
	const char *msg; /* the message as it is delivered */
	size_t len;
	/* Each failure, as one line without location (may be NULL). */
	void (*error)(void *ctx, const char *text);
	void *error_ctx;
};

/*
 * Execute the result's actions that were not executed yet; then, when
 * implicit_keep is true, the implicit keep (once: it is then marked done by
 * cancelling it). SV_OK when everything succeeded, SV_FAIL when an action
 * failed but the message is safe (a store fell back to INBOX, a redirect
 * failed), SV_TEMPFAIL when it could not be stored anywhere.
 */
enum sv_status sv_dlv_execute(struct sv_result *r, const struct sv_exec_ctx *c, bool implicit_keep);

/* Only the implicit keep (into INBOX, with the keep's flags) unless it was
 * cancelled; then marked done. */
enum sv_status sv_dlv_implicit_keep(struct sv_result *r, const struct sv_exec_ctx *c);

#endif
