/*
 * ihave.c: the ihave extension (RFC 5463): the ihave test (§4), known at
 * compile time, and the error command (§5).
 *
 * A capability this build offers (as require would accept it here) makes
 * ihave true; anything else, "${...}" included (the list is read as
 * written, so the value never waits for the run), makes it false. The
 * validator then neither validates nor generates a block under a false
 * ihave (§4: the commands of such a block may be unknown), and inside the
 * block of a true one the capabilities are available as if required. The
 * test itself never becomes an instruction: sievec compiles against the
 * extensions of the build that runs the binary (the fingerprint of every
 * .svbin covers them), so its value cannot change before the run.
 */
#include <string.h>

#include "ext/registry.h"
#include "parser/codegen.h"
#include "parser/validate.h"
#include "vm/vm.h"

/* Note the capabilities that are known: the block of a true ihave may use
 * them (sv_validator_scope_enter). */
static bool validate_ihave(struct sv_validator *v, struct sv_ast_node *t)
{
	struct sv_vnode *vn = sv_vnode(t);
	const struct sv_ast_arg *caps = vn->pos[0];
	vn->implies = sv_arena_array(v->arena, caps->nstrs ? caps->nstrs : 1, sizeof *vn->implies);
	vn->nimplies = 0;
	for (size_t i = 0; i < caps->nstrs; i++) {
		const struct sv_ast_str *s = &caps->strs[i];
		if (s->len == 0) {
			sv_validator_error(v, s->loc, "ihave needs capability names, not an empty string");
			return false;
		}
		if (!sv_validator_offers(v, s->s, s->len))
			continue;
		struct sv_ext_def *e = sv_ext_find(s->s, s->len);
		if (e && !e->always)
			vn->implies[vn->nimplies++] = e;
	}
	return true;
}

/* RFC 5463 §4: true when every capability is supported */
static int const_ihave(struct sv_validator *v, const struct sv_ast_node *t)
{
	const struct sv_vnode *vn = sv_vnode(t);
	if (!vn || vn->npos < 1)
		return -1;
	const struct sv_ast_arg *caps = vn->pos[0];
	for (size_t i = 0; i < caps->nstrs; i++)
		if (!sv_validator_offers(v, caps->strs[i].s, caps->strs[i].len))
			return 0;
	return 1;
}

/* RFC 5463 §5: the run ends with an error carrying the message (after
 * variable expansion); its actions are discarded and the message is kept
 * as after any runtime error (RFC 5228 §2.10.6). */
static enum sv_status op_error(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str msg;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &msg);
	if (st != SV_OK)
		return st;
	if (msg.len == 0)
		return sv_vm_error(vm, "error command (without a message)");
	return sv_vm_error(vm, "%.*s", (int)(msg.len > SV_VM_ERROR_MAX ? SV_VM_ERROR_MAX : msg.len),
			   msg.p);
}

static const struct sv_cmd_def ihave_commands[] = {
	{"ihave", SV_CMD_TEST, "l", .validate = validate_ihave, .const_eval = const_ihave},
	{"error", SV_CMD_COMMAND, "s", .op = 0},
	{NULL},
};

static const struct sv_op_def ihave_ops[] = {
	{"error", "s", op_error, NULL, false},
	{NULL},
};

struct sv_ext_def sv_ext_ihave_def = {
	.name = "ihave",
	.commands = ihave_commands,
	.ops = ihave_ops,
};
