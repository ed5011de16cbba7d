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

static bool validate_modifiers(struct sv_validator *v, struct sv_ast_node *n);

static bool validate_set(struct sv_validator *v, struct sv_ast_node *n)
{
	const struct sv_ast_str *name = &sv_vnode(n)->pos[0]->strs[0];
	/* an identifier, or global.x when include is required (RFC 6609 §3.5) */
	if (!sv_validator_assignable(v, name->s, name->len)) {
		if (memchr(name->s, '.', name->len))
			sv_validator_error(v, name->loc,
					   "cannot assign to '%s': not a variable of the script",
					   sv_validator_quote(v, name->s, name->len));
		else
			sv_validator_error(v, name->loc, "invalid variable name '%s'",
					   sv_validator_quote(v, name->s, name->len));
		return false;
	}
	return validate_modifiers(v, n) && sv_validator_var(v, name->s, name->len, name->loc) >= 0;
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

/* RFC 5229 §4.1: the modifiers of this extension. Case changes are
 * ASCII-only and locale-independent. */
static void mod_lower(struct sv_buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		b->p[i] = (char)sv_ascii_lower((unsigned char)b->p[i]);
}

static void mod_upper(struct sv_buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		b->p[i] = (char)sv_ascii_upper((unsigned char)b->p[i]);
}

static void mod_lowerfirst(struct sv_buf *b)
{
	if (b->len)
		b->p[0] = (char)sv_ascii_lower((unsigned char)b->p[0]);
}

static void mod_upperfirst(struct sv_buf *b)
{
	if (b->len)
		b->p[0] = (char)sv_ascii_upper((unsigned char)b->p[0]);
}

static void mod_quotewildcard(struct sv_buf *b)
{
	struct sv_buf q = SV_BUF_INIT;
	for (size_t i = 0; i < b->len; i++) {
		if (b->p[i] == '*' || b->p[i] == '?' || b->p[i] == '\\')
			sv_buf_putc(&q, '\\');
		sv_buf_putc(&q, b->p[i]);
	}
	sv_buf_free(b);
	*b = q;
}

static void mod_length(struct sv_buf *b)
{
	size_t n = sv_utf8_count(b->p ? b->p : "", b->len);
	sv_buf_reset(b);
	sv_buf_printf(b, "%zu", n);
}

static const struct sv_modifier_def m_lower = {"lower", 40, OPT_LOWER, mod_lower};
static const struct sv_modifier_def m_upper = {"upper", 40, OPT_UPPER, mod_upper};
static const struct sv_modifier_def m_lowerfirst = {"lowerfirst", 30, OPT_LOWERFIRST,
						    mod_lowerfirst};
static const struct sv_modifier_def m_upperfirst = {"upperfirst", 30, OPT_UPPERFIRST,
						    mod_upperfirst};
static const struct sv_modifier_def m_quotewildcard = {"quotewildcard", 20, OPT_QUOTEWILDCARD,
						       mod_quotewildcard};
static const struct sv_modifier_def m_length = {"length", 10, OPT_LENGTH, mod_length};
static const struct sv_modifier_def *const variables_modifiers[] = {
	&m_lower, &m_upper, &m_lowerfirst, &m_upperfirst, &m_quotewildcard, &m_length, NULL};

/* The modifier an optional operand or a validated tag stands for. */
static const struct sv_modifier_def *modifier_of(const struct sv_ext_def *e, uint8_t opt)
{
	for (size_t i = 0; e && e->modifiers && e->modifiers[i]; i++)
		if (e->modifiers[i]->opt == opt)
			return e->modifiers[i];
	return NULL;
}

/* RFC 5229 §4.1: one modifier per precedence level */
static bool validate_modifiers(struct sv_validator *v, struct sv_ast_node *n)
{
	struct sv_vnode *vn = sv_vnode(n);
	bool ok = true;
	for (size_t i = 0; i < vn->ntags; i++) {
		const struct sv_vtag *a = &vn->tags[i];
		const struct sv_modifier_def *ma = a->def ? modifier_of(a->ext, a->def->opt) : NULL;
		for (size_t k = 0; ma && k < i; k++) {
			const struct sv_vtag *b = &vn->tags[k];
			const struct sv_modifier_def *mb =
				b->def ? modifier_of(b->ext, b->def->opt) : NULL;
			if (mb && mb->precedence == ma->precedence) {
				sv_validator_error(v, a->tag->loc,
						   "modifiers :%s and :%s of set have the same precedence (RFC 5229 §4.1)",
						   mb->name, ma->name);
				ok = false;
			}
		}
	}
	return ok;
}

static enum sv_status op_set(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str val;
	enum sv_status st = sv_vm_string(vm, ops->pos[1].idx, &val);
	if (st != SV_OK)
		return st;
	/* the modifiers given, from any extension, highest precedence first */
	const struct sv_modifier_def *mods[SV_BIN_MAX_OPTIONALS];
	size_t nmods = 0;
	for (size_t i = 0; i < ops->nopt; i++) {
		const struct sv_modifier_def *m = modifier_of(ops->opt[i].ext, ops->opt[i].id);
		if (!m)
			continue;
		size_t k = nmods++;
		while (k > 0 && mods[k - 1]->precedence < m->precedence) {
			mods[k] = mods[k - 1];
			k--;
		}
		mods[k] = m;
	}
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_append(&b, val.p, val.len);
	for (size_t i = 0; i < nmods; i++)
		mods[i]->apply(&b);
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
	{.name = "lower", .opt = OPT_LOWER},
	{.name = "upper", .opt = OPT_UPPER},
	{.name = "lowerfirst", .opt = OPT_LOWERFIRST},
	{.name = "upperfirst", .opt = OPT_UPPERFIRST},
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
	.modifiers = variables_modifiers,
	.on_require = on_require,
};
