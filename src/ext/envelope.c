/*
 * envelope.c: the envelope test (RFC 5228 §5.4): compares the SMTP
 * envelope's parts with address parts: "from", "to" and "auth" here, more
 * from any extension's envelope_parts (registry.h). Paths are read by RFC
 * 5321 §4.1.2 (with RFC 6531's UTF-8), as the MTA read them.
 */
#include <string.h>

#include "ext/registry.h"
#include "lib/utf8.h"
#include "mail/message.h"
#include "parser/validate.h"
#include "vm/address.h"
#include "vm/vm.h"

static bool validate_envelope(struct sv_validator *v, struct sv_ast_node *n)
{
	struct sv_ast_arg *parts = sv_vnode(n)->pos[0];
	bool ok = true;
	for (size_t i = 0; i < parts->nstrs; i++) {
		const struct sv_ast_str *s = &parts->strs[i];
		if (v->templates && memchr(s->s, '$', s->len))
			continue;
		const struct sv_ext_def *owner = NULL;
		if (!sv_ext_find_envpart(s->s, s->len, &owner) || !sv_validator_has(v, owner)) {
			sv_validator_error(v, s->loc, "envelope part '%s' is not supported",
					   sv_validator_quote(v, s->s, s->len));
			ok = false;
		}
	}
	return ok;
}

static enum sv_status op_envelope(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_matcher m;
	enum sv_status st = sv_match_begin(&m, vm, ops, ops->pos[1].idx);
	size_t n = sv_vm_list_len(vm, ops->pos[0].idx);
	for (size_t i = 0; i < n && st == SV_OK && !m.matched; i++) {
		struct sv_str part;
		if ((st = sv_vm_list_item(vm, ops->pos[0].idx, i, &part)) != SV_OK)
			break;
		const struct sv_envpart_def *def = sv_ext_find_envpart(part.p, part.len, NULL);
		const char *val = def ? def->get(vm) : NULL;
		if (!val)
			continue;
		if (!def->path) {
			sv_match_value(&m, val, strlen(val));
			continue;
		}
		/* the path as the MTA read it (RFC 5321 §4.1.2): an invalid
		   one has no local part or domain and matches only :all,
		   against its text (RFC 5228 §2.7.4) */
		struct sv_addr a;
		bool valid = sv_addr_parse_smtp_path(vm->arena, val, strlen(val), &a);
		if (valid && a.alen == 0) {
			/* RFC 5228 §5.4: the null reverse-path is the empty
			   string, whatever the address part; a forward-path is
			   never null (RFC 5321 §4.1.2) */
			if (def->reverse_path)
				sv_match_value(&m, "", 0);
			else
				sv_match_address(&m, ops, &(struct sv_addr){.local = "", .addr = val,
									    .alen = strlen(val)});
			continue;
		}
		sv_match_address(&m, ops, &a);
	}
	if (st != SV_OK)
		return st;
	return sv_match_end(&m, &vm->test);
}

static const char *part_from(struct sv_vm *vm)
{
	return vm->env ? vm->env->from : NULL;
}

static const char *part_to(struct sv_vm *vm)
{
	return vm->env ? vm->env->to : NULL;
}

static const char *part_auth(struct sv_vm *vm)
{
	return vm->env ? vm->env->auth : NULL;
}

static const struct sv_envpart_def ep_from = {"from", part_from, true, true};
static const struct sv_envpart_def ep_to = {"to", part_to, true, false};
static const struct sv_envpart_def ep_auth = {"auth", part_auth, true, false};
static const struct sv_envpart_def *const envelope_parts[] = {&ep_from, &ep_to, &ep_auth, NULL};

static const struct sv_cmd_def envelope_commands[] = {
	{"envelope", SV_CMD_TEST, "ll", .flags = SV_CMDF_MATCHING | SV_CMDF_ADDRPART, .op = 0,
	 .validate = validate_envelope},
	{NULL},
};

static const struct sv_op_def envelope_ops[] = {
	{"envelope", "llx", op_envelope, NULL, true},
	{NULL},
};

struct sv_ext_def sv_ext_envelope_def = {
	.name = "envelope",
	.commands = envelope_commands,
	.ops = envelope_ops,
	.envelope_parts = envelope_parts,
};
