/*
 * reject.h: what the reject and ereject extensions (RFC 5429) offer
 * outside their descriptors: the action kinds, and the refusal an LDA
 * that may refuse at protocol level (sieve-deliver -e) gives its MTA.
 */
#ifndef SV_EXT_REJECT_H
#define SV_EXT_REJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/status.h"
#include "vm/result.h"
#include "vm/vm.h"

/* The action kinds: "reject" (§2.1) and "ereject" (§2.2). */
extern const struct sv_action_def sv_action_reject, sv_action_ereject;

/* The operation of both commands (ereject.c uses it). */
enum sv_status sv_reject_op(struct sv_vm *vm, const struct sv_operands *ops);

/*
 * The refusal of a result that holds a reject or ereject not yet carried
 * out: true, and out (reset first) gets one line for the MTA,
 * "5.7.1 <reason>" (RFC 3463 §3.8, RFC 5429 §2.1.1): ASCII only, control
 * characters as spaces, at most SV_REJECT_LINE_MAX bytes. The caller
 * then refuses the message instead of executing the result: nothing is
 * filed and nothing sent. false when the result holds no rejection.
 */

#define SV_REJECT_LINE_MAX 480
bool sv_reject_refusal(const struct sv_result *r, struct sv_buf *out);

#endif
