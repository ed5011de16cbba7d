/*
 * mailbox.c: the mailbox extension (RFC 5490 §3.1, §3.2): the
 * mailboxexists test, and :create on fileinto, which creates the mailbox
 * when it is missing before the message is filed, whatever the store's
 * mailbox-autocreate says.
 *
 * Mailboxes are those of the delivery's mail store (run->store: the
 * user's in sieve-deliver, the test store in sieve-testsuite). Where
 * there is none (sieve-test's dry run), no mailbox can be shown to
 * exist, so mailboxexists is false and the script takes its other
 * branch; :create is recorded on the action and has nothing to create.
 * A store that holds a mailbox accepts delivery into it (sift has no
 * ACLs, §3.1's 'p'/'i' rights), so existence is the whole test.
 *
 * A mailbox :create made stays when the delivery is rolled back later
 * (a temporary failure elsewhere): an empty mailbox is harmless, and
 * the MTA's retry finds it made.
 */
#include <string.h>

#include "delivery/execute.h"
#include "delivery/run.h"
#include "delivery/store.h"
#include "ext/registry.h"
#include "vm/result.h"
#include "vm/vm.h"

enum { OPT_CREATE = 0 };

/* ---- fileinto :create ---- */

static void describe_store_create(const struct sv_action *a, struct sv_buf *out)
{
	sv_buf_puts(out, "store message in folder: ");
	sv_buf_put_sanitized(out, a->target, a->tlen, 512);
	sv_buf_puts(out, " (created when missing)");
}

/* §3.2: "create the specified mailbox, if needed, before attempting to
 * deliver the message into [it] ... Failure to create the specified
 * mailbox is considered to be an error": the store then fails and the
 * executor keeps the message in INBOX instead, as for any store that
 * cannot be carried out. */
static enum sv_status store_create_prepare(struct sv_txn *t, struct sv_action *a,
                                           struct sv_buf *err)
{
	struct sv_store *s = t->c->store;
	if (s && a->target && !s->exists(s, a->target, a->tlen)) {
		struct sv_buf why = SV_BUF_INIT;
		enum sv_status st = s->create(s, a->target, a->tlen, &why);
		if (st != SV_OK) {
			sv_buf_puts(err, "failed to create mailbox '");
			sv_buf_put_sanitized(err, a->target, a->tlen, 128);
			sv_buf_printf(err, "': %s", why.p ? why.p : sv_status_name(st));
			sv_buf_free(&why);
			return st;
		}
		sv_buf_free(&why);
	}
	return sv_dlv_store_prepare(t, a, err);
}

static const struct sv_action_def action_store_create;

/* The same mailbox twice is one store (RFC 5228 §2.10.3); when either
 * asked for :create, the one that stays creates. */
static bool fold_store_create(struct sv_action *a, const struct sv_action *b)
{
	if (!sv_action_fold_store(a, b))
		return false;
	if (a->def == &sv_action_store)
		a->def = &action_store_create;
	return true;
}

/* fileinto's store with :create: a store in every other respect (the
 * same name, "store", so test_result_action and logs see a fileinto). */
static const struct sv_action_def action_store_create = {
	.name = "store", .cancels_keep = true, .is_store = true, .phase = SV_PHASE_STORE,
	.duplicate = fold_store_create, .describe = describe_store_create,
	.prepare = store_create_prepare, .commit = sv_dlv_store_commit,
	.rollback = sv_dlv_store_rollback, .release = sv_dlv_store_release,
};

static enum sv_status decorate(struct sv_vm *vm, const struct sv_operands *ops,
                               struct sv_action *a)
{
	if (a->def == &sv_action_store && sv_ops_opt(ops, &sv_ext_mailbox_def, OPT_CREATE))
		a->def = &action_store_create;
	return SV_OK;
}

/* ---- mailboxexists ---- */

/* §3.1: true when every named mailbox exists in the mail store. */
static enum sv_status op_mailboxexists(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_store *s = vm->run ? vm->run->store : NULL;
	size_t n = sv_vm_list_len(vm, ops->pos[0].idx);
	bool all = true;
	for (size_t i = 0; i < n && all; i++) {
		struct sv_str mb;
		enum sv_status st = sv_vm_list_item(vm, ops->pos[0].idx, i, &mb);
		if (st != SV_OK)
			return st;
		/* a name no store can hold names no mailbox (exists refuses
		   names that would escape the store, sv_dlv_mailbox_fsname) */
		if (!s || mb.len == 0 || memchr(mb.p, '\0', mb.len))
			all = false;
		else if (sv_mailbox_is_inbox(mb.p, mb.len))
			all = s->exists(s, "INBOX", 5);
		else
			all = s->exists(s, mb.p, mb.len);
	}
	vm->test = all;
	return SV_OK;
}

static const char *const create_targets[] = {"fileinto", NULL};

static const struct sv_tag_def mailbox_tags[] = {
	{.name = "create", .opt = OPT_CREATE, .attach = create_targets},
	{NULL},
};

static const struct sv_cmd_def mailbox_commands[] = {
	{"mailboxexists", SV_CMD_TEST, "l", .op = 0},
	{NULL},
};

static const struct sv_op_def mailbox_ops[] = {
	{"mailboxexists", "l", op_mailboxexists, NULL, true},
	{NULL},
};

static const char *const mailbox_opt_names[] = {"create"};

struct sv_ext_def sv_ext_mailbox_def = {
	.name = "mailbox",
	.commands = mailbox_commands,
	.tags = mailbox_tags,
	.ops = mailbox_ops,
	.opt_kinds = "f",
	.opt_names = mailbox_opt_names,
	.decorate_action = decorate,
};
