/*
 * reject.c: the reject extension (RFC 5429 §2.1) and the action kinds of
 * reject and ereject (§2.2, whose descriptor is in ereject.c).
 *
 * `reject <reason>` refuses the message: it cancels the implicit keep and
 * cannot come with keep, fileinto, redirect, vacation or another reject
 * or ereject (§2.1, RFC 5228 §4: a runtime error when the script asks for
 * both). The reason is UTF-8 text.
 *
 * sift runs after the MTA has accepted the message, so a refusal is
 * carried out one of two ways:
 * - at protocol level, when the LDA was told it may (sieve-deliver -e, as
 *   dovecot-lda's -e): the MTA is handed "5.7.1 <reason>" and exit 77 and
 *   bounces the message itself (§2.1.1); nothing is filed or sent
 *   (sv_reject_refusal);
 * - otherwise by an MDN (§2.1, RFC 8098) composed by sv_compose_mdn and
 *   sent through the submission to the envelope sender with the null
 *   envelope sender, so that it can never bounce back. A message whose
 *   envelope sender is null is itself a notice that must not be answered
 *   (§2.1: no MDN to the null sender): it is then discarded, neither
 *   filed nor answered.
 * ereject asks for the protocol-level refusal first (§2.2); where there is
 * none (an LDA without -e, sieve-testsuite) it is carried out as reject's
 * MDN. (§2.2 speaks of a DSN there; sift has one composer for refusals,
 * the MDN, and a DSN from the delivery agent would claim a delivery
 * failure the MTA never had.)
 *
 * The MDN is composed in the action's prepare from the message as it is
 * delivered, so sieve-test's dry runs never pay for it; its size is
 * bounded by the setting reject-max-size (past it only the original's
 * headers are attached).
 */
#include "ext/reject.h"

#include <string.h>
#include <unistd.h>

#include "config.h"
#include "delivery/execute.h"
#include "ext/registry.h"
#include "lib/utf8.h"
#include "mail/compose.h"
#include "mail/message.h"
#include "vm/result.h"
#include "vm/vm.h"

enum { SET_MAX_SIZE };
static const struct sv_setting_info reject_settings[] = {
	[SET_MAX_SIZE] = {"reject-max-size", "", SV_SETTING_SIZE, 1 * SV_MiB, 4 * SV_KiB,
			  64 * SV_MiB, NULL,
			  "largest rejection (RFC 5429 MDN) sent; when the original does not fit, "
			  "only its headers are attached"},
	{NULL},
};

/* What a reject keeps from the run for when it is carried out. */
struct reject_data {
	const char *reason; /* UTF-8, in the result's arena */
	size_t len;
	uint64_t max_size;
	const char *to;      /* the envelope recipient when the script ran */
	const char *orig_to; /* the original recipient (may be NULL) */
	struct sv_buf mdn;   /* the composed MDN, between prepare and release */
};

static bool is_reject(const struct sv_action *a)
{
	return a->def == &sv_action_reject || a->def == &sv_action_ereject;
}

/* §2.1: reject cannot be combined with the actions that deliver the
 * message somewhere (keep, fileinto, redirect), answer it (vacation,
 * whose kind its own extension names) or refuse it again. */
static bool reject_conflicts(const struct sv_action *a, const struct sv_action *b,
			     struct sv_buf *err)
{
	const struct sv_action_def *d = b->def;
	if (!is_reject(b) && !d->is_store && !d->is_redirect && strcmp(d->name, "vacation") != 0)
		return true;
	/* either may be the new one: name the later one first */
	const struct sv_action *later = b->line >= a->line ? b : a;
	const struct sv_action *earlier = later == b ? a : b;
	sv_buf_printf(err, "%s action conflicts with %s action of line %u (RFC 5429 \xc2\xa7" "2.1)",
		      later->def->name, earlier->def->name, earlier->line);
	return false;
}

static void describe_reject(const struct sv_action *a, struct sv_buf *out)
{
	const struct reject_data *d = a->data;
	sv_buf_printf(out, "%s message with reason: ", a->def->name);
	sv_buf_put_sanitized(out, d->reason, d->len, 256);
}

/* The null path (RFC 5321 §4.5.5): "", "<>", or unknown. */
static bool null_sender(const char *from)
{
	return !from || !*from || strcmp(from, "<>") == 0;
}

static enum sv_status reject_prepare(struct sv_txn *t, struct sv_action *a, struct sv_buf *err)
{
	const struct sv_exec_ctx *c = t->c;
	struct reject_data *d = a->data;
	const struct sv_envelope *env = c->env;
	/* §2.1: no MDN to the null sender; the message is discarded */
	if (!env || null_sender(env->from)) {
		a->txn = NULL;
		return SV_OK;
	}
	if (!c->submit) {
		sv_buf_puts(err, "cannot reject: no way to send mail here");
		return SV_FAIL;
	}
	const char *rcpt = env->final_to ? env->final_to : env->to ? env->to : d->to;
	const char *orig = env->orig_to ? env->orig_to : d->orig_to;
	char host[256];
	sv_ext_host_name(host, sizeof host);
	struct sv_buf ua = SV_BUF_INIT;
	sv_buf_printf(&ua, "%s; sift %s", host, PACKAGE_VERSION);
	struct sv_buf pm = SV_BUF_INIT;
	if (!rcpt || !*rcpt) {
		sv_buf_printf(&pm, "postmaster@%s", host);
		rcpt = pm.p;
	}
	struct sv_msg *m = sv_dlv_exec_message(c);
	struct sv_compose_mdn mdn = {
	    .orig = m,
	    .reason = d->reason,
	    .reason_len = d->len,
	    .reporting_ua = ua.p,
	    .final_recipient = rcpt,
	    .original_recipient = orig && *orig && strcmp(orig, rcpt) != 0 ? orig : NULL,
	    .from = rcpt,
	    .to = env->from,
	    .domain = host,
	};
	struct sv_compose_ids ids;
	sv_compose_ids_system(&ids);
	sv_buf_reset(&d->mdn);
	enum sv_status st = sv_compose_mdn(&mdn, &ids, (size_t)d->max_size, &d->mdn);
	if (st != SV_OK && mdn.original_recipient) {
		/* an original recipient that is no plain address is left out */
		mdn.original_recipient = NULL;
		sv_buf_reset(&d->mdn);
		st = sv_compose_mdn(&mdn, &ids, (size_t)d->max_size, &d->mdn);
	}
	sv_dlv_exec_message_done(c, m);
	struct sv_buf why = SV_BUF_INIT;
	if (st != SV_OK) {
		sv_buf_printf(&why, "cannot compose the rejection (%s)",
			      st == SV_LIMIT ? "larger than reject-max-size"
					     : "the sender or recipient is no plain address");
		st = SV_FAIL;
	} else {
		/* RFC 8098 §2.1 (as RFC 3798): MDNs go out with the null sender */
		const char *rcpts[1] = {env->from};
		struct sv_mail_out out = {
		    .from = "", .rcpts = rcpts, .nrcpts = 1, .msg = d->mdn.p, .len = d->mdn.len};
		struct sv_submit_txn *tx = NULL;
		st = c->submit->prepare(c->submit, &out, &tx, &why);
		if (st == SV_OK)
			a->txn = tx;
	}
	if (st != SV_OK) {
		sv_buf_free(&d->mdn);
		sv_buf_puts(err, "failed to send rejection to <");
		sv_buf_put_sanitized(err, env->from, strlen(env->from), 256);
		sv_buf_printf(err, ">: %s", why.p ? why.p : sv_status_name(st));
	}
	sv_buf_free(&why);
	sv_buf_free(&ua);
	sv_buf_free(&pm);
	return st;
}

/* the null sender: nothing was prepared, nothing is sent */
static enum sv_status reject_commit(struct sv_txn *t, struct sv_action *a, struct sv_buf *err)
{
	return sv_dlv_send_commit(t, a, "send rejection", NULL, 0, err);
}

static void reject_rollback(struct sv_txn *t, struct sv_action *a)
{
	sv_dlv_send_rollback(t, a);
}

static void reject_release(struct sv_txn *t, struct sv_action *a)
{
	(void)t;
	struct reject_data *d = a->data;
	sv_buf_free(&d->mdn);
}

const struct sv_action_def sv_action_reject = {
	.name = "reject", .cancels_keep = true, .phase = SV_PHASE_SEND,
	.conflicts = reject_conflicts, .describe = describe_reject,
	.prepare = reject_prepare, .commit = reject_commit,
	.rollback = reject_rollback, .release = reject_release,
};
const struct sv_action_def sv_action_ereject = {
	.name = "ereject", .cancels_keep = true, .phase = SV_PHASE_SEND,
	.conflicts = reject_conflicts, .describe = describe_reject,
	.prepare = reject_prepare, .commit = reject_commit,
	.rollback = reject_rollback, .release = reject_release,
};

enum sv_status sv_reject_op(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str reason;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &reason);
	if (st != SV_OK)
		return st;
	bool ereject = ops->ext == &sv_ext_ereject_def;
	struct sv_arena *ar = vm->result->arena;
	struct reject_data *d = sv_arena_alloc(ar, sizeof *d);
	d->reason = sv_arena_strndup(ar, reason.p, reason.len);
	d->len = reason.len;
	d->max_size = sv_ext_setting(vm->settings, &sv_ext_reject_def, SET_MAX_SIZE);
	if (vm->env) {
		const char *to = vm->env->final_to ? vm->env->final_to : vm->env->to;
		d->to = to ? sv_arena_strndup(ar, to, strlen(to)) : NULL;
		d->orig_to = vm->env->orig_to
				 ? sv_arena_strndup(ar, vm->env->orig_to, strlen(vm->env->orig_to))
				 : NULL;
	}
		struct sv_action a = {.def = ereject ? &sv_action_ereject : &sv_action_reject, .data = d};
	return sv_vm_add_action(vm, ops, &a);
}

bool sv_reject_refusal(const struct sv_result *r, struct sv_buf *out)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct sv_action *a = &r->v[i];
		if (a->executed || !is_reject(a))
			continue;
		const struct reject_data *d = a->data;
		sv_buf_reset(out);
		sv_buf_puts(out, "5.7.1 ");
		/* §2.1.1: the reply text is ASCII; a reason that is not is
		 * still told, with '?' for what the MTA could not carry */
		bool space = true;
		for (size_t k = 0; k < d->len && out->len < SV_REJECT_LINE_MAX; k++) {
			unsigned char ch = (unsigned char)d->reason[k];
			if (ch >= 0x80) {
				k += sv_utf8_char_len(d->reason + k, d->len - k) - 1;
				ch = '?';
			} else if (ch < ' ' || ch == 0x7f) {
				ch = ' ';
			}
			if (ch == ' ' && space)
				continue; /* runs of white space as one */
			space = ch == ' ';
			sv_buf_putc(out, (char)ch);
		}
		while (out->len > 6 && out->p[out->len - 1] == ' ')
			out->len--;
		if (out->len == 6)
			sv_buf_puts(out, "message rejected");
		out->p[out->len] = '\0';
		return true;
	}
	return false;
}

static const struct sv_cmd_def reject_commands[] = {
	{"reject", SV_CMD_COMMAND, "s", .op = 0},
	{NULL},
};

static const struct sv_op_def reject_ops[] = {
	{"reject", "s", sv_reject_op, NULL, false},
	{NULL},
};

struct sv_ext_def sv_ext_reject_def = {
	.name = "reject",
	.commands = reject_commands,
	.ops = reject_ops,
	.settings = reject_settings,
};
