/*
 * variables.c: the variables extension (RFC 5229): "set" with its
 * modifiers (§4.1), the "string" test (§5), and ${...} references in
 * strings (§3), which the validator and code generator turn into
 * templates once this capability is required. Match variables ${0}..${N}
 * are set by :matches (and :regex) on success (§3.2).
 */
#include <string.h>

#include "ext/registry.h"
#include "lib/utf8.h"
#include "parser/codegen.h"
#include "parser/validate.h"
#include "vm/vm.h"

enum { OPT_LOWER, OPT_UPPER, OPT_LOWERFIRST, OPT_UPPERFIRST, OPT_QUOTEWILDCARD, OPT_LENGTH };

static bool on_require(struct sv_validator *v)
{
	v->templates = true;
	return true;
}

static bool validate_set(struct sv_validator *v, struct sv_ast_node *n)
{
	const struct sv_ast_str *name = &sv_vnode(n)->pos[0]->strs[0];
	if (!sv_var_name_valid(name->s, name->len)) {
		if (memchr(name->s, '.', name->len))
			sv_validator_error(v, name->loc,
					   "cannot assign to '%.64s': not a variable of the script",
					   name->s);
		else
			sv_validator_error(v, name->loc, "invalid variable name '%.64s'", name->s);
		return false;
	}
	return sv_validator_var(v, name->s, name->len, name->loc) >= 0;
}

static void generate_set(struct sv_codegen *g, struct sv_ast_node *n)
{
	struct sv_vnode *vn = sv_vnode(n);
	const struct sv_ast_str *name = &vn->pos[0]->strs[0];
	int slot = sv_validator_var(sv_cg_validator(g), name->s, name->len, name->loc);
	sv_cg_op(g, vn->ext, 0, n->loc.line);
	sv_cg_varint(g, (uint64_t)(slot < 0 ? 0 : slot));
	sv_cg_string(g, &vn->pos[1]->strs[0]);
	sv_cg_optionals(g, n);
}

/* RFC 5229 §4.1: modifiers apply from the highest precedence down:
 * :lower/:upper (40), :lowerfirst/:upperfirst (30), :quotewildcard (20),
 * :length (10). Case changes are ASCII-only and locale-independent. */
static enum sv_status op_set(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str val;
	enum sv_status st = sv_vm_string(vm, ops->pos[1].idx, &val);
	if (st != SV_OK)
		return st;
	const struct sv_ext_def *me = &sv_ext_variables_def;
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_append(&b, val.p, val.len);
	if (sv_ops_opt(ops, me, OPT_LOWER))
		for (size_t i = 0; i < b.len; i++)
			b.p[i] = (char)sv_ascii_lower((unsigned char)b.p[i]);
	if (sv_ops_opt(ops, me, OPT_UPPER))
		for (size_t i = 0; i < b.len; i++)
			b.p[i] = (char)sv_ascii_upper((unsigned char)b.p[i]);
	if (b.len && sv_ops_opt(ops, me, OPT_LOWERFIRST))
		b.p[0] = (char)sv_ascii_lower((unsigned char)b.p[0]);
	if (b.len && sv_ops_opt(ops, me, OPT_UPPERFIRST))
		b.p[0] = (char)sv_ascii_upper((unsigned char)b.p[0]);
	if (sv_ops_opt(ops, me, OPT_QUOTEWILDCARD)) {
		struct sv_buf q = SV_BUF_INIT;
		for (size_t i = 0; i < b.len; i++) {
			if (b.p[i] == '*' || b.p[i] == '?' || b.p[i] == '\\')
				sv_buf_putc(&q, '\\');
			sv_buf_putc(&q, b.p[i]);
		}
		sv_buf_free(&b);
		b = q;
	}
	if (sv_ops_opt(ops, me, OPT_LENGTH)) {
		size_t n = sv_utf8_count(b.p ? b.p : "", b.len);
		sv_buf_reset(&b);
		sv_buf_printf(&b, "%zu", n);
	}
	st = sv_vm_var_set(vm, ops->pos[0].num, b.p ? b.p : "", b.len);
	sv_buf_free(&b);
	return st;
}

/* RFC 5229 §5: the string test; :count counts the non-empty sources */
static enum sv_status op_string(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_matcher m;
	enum sv_status st = sv_match_begin(&m, vm, ops, ops->pos[1].idx);
	size_t n = sv_vm_list_len(vm, ops->pos[0].idx);
	for (size_t i = 0; i < n && st == SV_OK && !m.matched; i++) {
		struct sv_str s;
		if ((st = sv_vm_list_item(vm, ops->pos[0].idx, i, &s)) != SV_OK)
			break;
		if (m.mt->count && s.len == 0)
			continue;
		sv_match_value(&m, s.p, s.len);
	}
	if (st != SV_OK)
		return st;
	return sv_match_end(&m, &vm->test);
}

static const struct sv_tag_def set_tags[] = {
	{.name = "lower", .opt = OPT_LOWER, .group = 1},
	{.name = "upper", .opt = OPT_UPPER, .group = 1},
	{.name = "lowerfirst", .opt = OPT_LOWERFIRST, .group = 2},
	{.name = "upperfirst", .opt = OPT_UPPERFIRST, .group = 2},
	{.name = "quotewildcard", .opt = OPT_QUOTEWILDCARD},
	{.name = "length", .opt = OPT_LENGTH},
	{NULL},
};

static const struct sv_cmd_def variables_commands[] = {
	{"set", SV_CMD_COMMAND, "ss", .tags = set_tags, .op = 0, .validate = validate_set,
	 .generate = generate_set},
	{"string", SV_CMD_TEST, "ll", .flags = SV_CMDF_MATCHING, .op = 1},
	{NULL},
};

static const struct sv_op_def variables_ops[] = {
	{"set", "vsx", op_set, NULL, false},
	{"string", "llx", op_string, NULL, true},
	{NULL},
};

static const char *const variables_opt_names[] = {"lower", "upper", "lowerfirst", "upperfirst",
						  "quotewildcard", "length"};

struct sv_ext_def sv_ext_variables_def = {
	.name = "variables",
	.commands = variables_commands,
	.ops = variables_ops,
	.opt_kinds = "ffffff",
	.opt_names = variables_opt_names,
	.on_require = on_require,
};
