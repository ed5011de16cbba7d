/*
 * fileinto.c: the fileinto extension (RFC 5228 §4.1): file the message
 * into a named mailbox. :copy (RFC 3894) and :flags (RFC 5232) attach to
 * it from their own extensions.
 */
#include <string.h>

#include "delivery/execute.h"
#include "ext/registry.h"
#include "parser/validate.h"
#include "vm/result.h"
#include "vm/vm.h"

static bool validate_fileinto(struct sv_validator *v, struct sv_ast_node *n)
{
	const struct sv_ast_str *s = &sv_vnode(n)->pos[0]->strs[0];
	if (s->len == 0) {
		sv_validator_error(v, s->loc, "fileinto needs a mailbox name, not an empty string");
		return false;
	}
	if (memchr(s->s, '\0', s->len) || memchr(s->s, '\n', s->len) || memchr(s->s, '\r', s->len)) {
		sv_validator_error(v, s->loc, "invalid mailbox name: control characters");
		return false;
	}
	return true;
}

static void describe_store(const struct sv_action *a, struct sv_buf *out)
{
	sv_buf_puts(out, "store message in folder: ");
	sv_buf_put_sanitized(out, a->target, a->tlen, 512);
}

/* The action kind of fileinto: a store into a named mailbox, folded with
 * keep when that mailbox is INBOX (RFC 5228 §2.10.3). */
const struct sv_action_def sv_action_store = {
	.name = "store", .cancels_keep = true, .is_store = true, .phase = SV_PHASE_STORE,
	.duplicate = sv_action_fold_store, .describe = describe_store,
	.prepare = sv_dlv_store_prepare, .commit = sv_dlv_store_commit,
	.rollback = sv_dlv_store_rollback, .release = sv_dlv_store_release,
};

static enum sv_status op_fileinto(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str box;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &box);
	if (st != SV_OK)
		return st;
	if (box.len == 0 || memchr(box.p, '\0', box.len) || memchr(box.p, '\n', box.len) ||
	    memchr(box.p, '\r', box.len))
		return sv_vm_error(vm, "fileinto: invalid mailbox name");
	struct sv_action a = {.def = &sv_action_store, .target = box.p, .tlen = box.len};
	if (sv_mailbox_is_inbox(box.p, box.len)) {
		a.target = "INBOX";
		a.tlen = 5;
	}
	return sv_vm_add_action(vm, ops, &a);
}

static const struct sv_cmd_def fileinto_commands[] = {
	{"fileinto", SV_CMD_COMMAND, "s", .op = 0, .validate = validate_fileinto},
	{NULL},
};

static const struct sv_op_def fileinto_ops[] = {
	{"fileinto", "sx", op_fileinto, NULL, false},
	{NULL},
};

struct sv_ext_def sv_ext_fileinto_def = {
	.name = "fileinto",
	.commands = fileinto_commands,
	.ops = fileinto_ops,
};
