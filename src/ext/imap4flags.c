/*
 * imap4flags.c: the imap4flags extension (RFC 5232): setflag, addflag,
 * removeflag (§3), the hasflag test (§4), the :flags tag of keep and
 * fileinto (§5), and the internal flags variable that gives stores and the
 * implicit keep their flags. Flag names compare case-insensitively; a
 * string may hold several flags separated by spaces (§3).
 */
#include <string.h>

#include "ext/registry.h"
#include "lib/alloc.h"
#include "lib/utf8.h"
#include "parser/codegen.h"
#include "parser/validate.h"
#include "vm/result.h"
#include "vm/vm.h"

enum { OP_SET, OP_ADD, OP_REMOVE, OP_SET_VAR, OP_ADD_VAR, OP_REMOVE_VAR, OP_HASFLAG,
       OP_HASFLAG_VARS };
enum { OPT_FLAGS = 0 };

/* ---- flag lists (space-separated, no duplicates) ---- */

/* RFC 3501 §9 ATOM-CHAR: any CHAR (%x01-7F) except atom-specials: "(",
 * ")", "{", SP, CTL, list-wildcards ("%", "*"), quoted-specials (DQUOTE,
 * backslash) and resp-specials ("]"). */
static bool atom_char(unsigned char c)
{
	if (c <= ' ' || c >= 0x7f)
		return false;
	return !strchr("(){%*\"\\]", c);
}

/* RFC 5232 §3: a flag whose name is not valid in IMAP (RFC 3501 §9: flag
 * = atom, or a backslash and an atom for system flags) is ignored, and so
 * is \Recent, which no IMAP client may set. Ignored means: never stored,
 * never set in a variable, never seen by hasflag. */
static bool flag_usable(const char *f, size_t n)
{
	size_t i = n && f[0] == '\\' ? 1 : 0;
	if (i == n)
		return false;
	for (; i < n; i++)
		if (!atom_char((unsigned char)f[i]))
			return false;
	return !sv_ascii_ieq(f, n, "\\Recent", 7);
}

/* Is flag f among the space-separated flags s[0..len)? */
static bool list_has(const char *s, size_t len, const char *f, size_t n)
{
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && s[j] != ' ')
			j++;
		if (sv_ascii_ieq(s + i, j - i, f, n))
			return true;
		i = j + 1;
	}
	return false;
}

/* Add the usable flags of s that b does not hold yet. */
static void list_add(struct sv_buf *b, const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && s[i] == ' ')
			i++;
		size_t j = i;
		while (j < len && s[j] != ' ')
			j++;
		if (j > i && flag_usable(s + i, j - i) && !list_has(b->p, b->len, s + i, j - i)) {
			if (b->len)
				sv_buf_putc(b, ' ');
			sv_buf_append(b, s + i, j - i);
		}
		i = j;
	}
}

static void list_remove(struct sv_buf *b, const char *s, size_t len)
{
	struct sv_buf out = SV_BUF_INIT;
	size_t i = 0;
	while (i < b->len) {
		size_t j = i;
		while (j < b->len && b->p[j] != ' ')
			j++;
		bool drop = false;
		size_t k = 0;
		while (k < len && !drop) {
			while (k < len && s[k] == ' ')
				k++;
			size_t e = k;
			while (e < len && s[e] != ' ')
				e++;
			drop = e > k && sv_ascii_ieq(b->p + i, j - i, s + k, e - k);
			k = e;
		}
		if (!drop && j > i) {
			if (out.len)
				sv_buf_putc(&out, ' ');
			sv_buf_append(&out, b->p + i, j - i);
		}
		i = j + 1;
	}
	sv_buf_free(b);
	*b = out;
}

static struct sv_buf *internal_var(struct sv_vm *vm)
{
	void **st = sv_vm_ext_state(vm, &sv_ext_imap4flags_def);
	if (!*st)
		*st = sv_calloc(1, sizeof(struct sv_buf));
	return *st;
}

static void free_state(void *state)
{
	sv_buf_free(state);
	sv_free(state);
}

/* Split a flag list into an array in the run's arena. */
static void split_flags(struct sv_vm *vm, const char *s, size_t len, const char ***v_r, size_t *n_r)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && (i == 0 || s[i - 1] == ' '))
			n++;
	const char **v = sv_arena_array(vm->arena, n ? n : 1, sizeof *v);
	size_t k = 0, i = 0;
	while (i < len) {
		while (i < len && s[i] == ' ')
			i++;
		size_t j = i;
		while (j < len && s[j] != ' ')
			j++;
		if (j > i)
			v[k++] = sv_arena_strndup(vm->arena, s + i, j - i);
		i = j;
	}
	*v_r = v;
	*n_r = k;
}

/* ---- operations ---- */

static enum sv_status flags_from_list(struct sv_vm *vm, uint32_t list, struct sv_buf *out)
{
	size_t n = sv_vm_list_len(vm, list);
	for (size_t i = 0; i < n; i++) {
		struct sv_str s;
		enum sv_status st = sv_vm_list_item(vm, list, i, &s);
		if (st != SV_OK)
			return st;
		list_add(out, s.p, s.len);
	}
	return SV_OK;
}

static enum sv_status change(struct sv_vm *vm, struct sv_buf *target, int how, uint32_t list)
{
	struct sv_buf f = SV_BUF_INIT;
	enum sv_status st = flags_from_list(vm, list, &f);
	if (st == SV_OK) {
		if (how == 0)
			sv_buf_reset(target);
		if (how == 2)
			list_remove(target, f.p ? f.p : "", f.len);
		else
			list_add(target, f.p ? f.p : "", f.len);
	}
	sv_buf_free(&f);
	return st;
}

static enum sv_status op_flags(struct sv_vm *vm, const struct sv_operands *ops, int how, bool var)
{
	if (!var)
		return change(vm, internal_var(vm), how, ops->pos[0].idx);
	struct sv_str cur;
	sv_vm_var_get(vm, ops->pos[0].num, &cur);
	/* the variable may have been set to anything (by set): what it
	   becomes is a flag list, without duplicates and ignored flags */
	struct sv_buf b = SV_BUF_INIT;
	list_add(&b, cur.p, cur.len);
	enum sv_status st = change(vm, &b, how, ops->pos[1].idx);
	if (st == SV_OK)
		st = sv_vm_var_set(vm, ops->pos[0].num, b.p ? b.p : "", b.len);
	sv_buf_free(&b);
	return st;
}

static enum sv_status op_set(struct sv_vm *vm, const struct sv_operands *o) { return op_flags(vm, o, 0, false); }
static enum sv_status op_add(struct sv_vm *vm, const struct sv_operands *o) { return op_flags(vm, o, 1, false); }
static enum sv_status op_remove(struct sv_vm *vm, const struct sv_operands *o) { return op_flags(vm, o, 2, false); }
static enum sv_status op_set_var(struct sv_vm *vm, const struct sv_operands *o) { return op_flags(vm, o, 0, true); }
static enum sv_status op_add_var(struct sv_vm *vm, const struct sv_operands *o) { return op_flags(vm, o, 1, true); }
static enum sv_status op_remove_var(struct sv_vm *vm, const struct sv_operands *o) { return op_flags(vm, o, 2, true); }

/* The flags of one variable as hasflag sees them (RFC 5232 §3, §4): each
 * once (":count" counts distinct flags), ignored ones left out. */
static void match_flags(struct sv_matcher *m, const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && !m->matched) {
		while (i < len && s[i] == ' ')
			i++;
		size_t j = i;
		while (j < len && s[j] != ' ')
			j++;
		if (j > i && flag_usable(s + i, j - i) && !list_has(s, i, s + i, j - i))
			sv_match_value(m, s + i, j - i);
		i = j;
	}
}

/* RFC 5232 §4: hasflag compares each flag of the variables with the keys;
 * the count of a list of variables is the sum of their counts. A key that
 * is no usable flag name never matches, since no flag seen is one. */
static enum sv_status op_hasflag(struct sv_vm *vm, const struct sv_operands *ops)
{
	bool vars = ops->op == &sv_ext_imap4flags_def.ops[OP_HASFLAG_VARS];
	uint32_t keys = vars ? ops->pos[1].idx : ops->pos[0].idx;
	/* the keys are flag lists too: "\\Seen \\Flagged" is two keys */
	struct sv_matcher m;
	enum sv_status st = sv_match_begin_words(&m, vm, ops, keys);
	if (st != SV_OK)
		return st;
	if (!vars) {
		const struct sv_buf *b = internal_var(vm);
		match_flags(&m, b->p ? b->p : "", b->len);
	} else {
		size_t n = sv_vm_list_len(vm, ops->pos[0].idx);
		for (size_t i = 0; i < n && !m.matched; i++) {
			struct sv_str name;
			if ((st = sv_vm_list_item(vm, ops->pos[0].idx, i, &name)) != SV_OK)
				return st;
			int k = sv_vm_var_slot(vm, name.p, name.len);
			if (k < 0)
				continue;
			struct sv_str val;
			sv_vm_var_get(vm, (uint64_t)k, &val);
			match_flags(&m, val.p, val.len);
		}
	}
	return sv_match_end(&m, &vm->test);
}

/* ---- actions ---- */

/* A store gets the :flags list, or else the internal variable's flags.
 * A list that cannot be expanded (a string over max-string-size, say) is
 * an error of the run: filing without the flags asked for would be a
 * silent change of what the script said. */
static enum sv_status decorate(struct sv_vm *vm, const struct sv_operands *ops,
			       struct sv_action *a)
{
	if (!a->def->is_store)
		return SV_OK;
	const struct sv_optarg *o = sv_ops_opt(ops, &sv_ext_imap4flags_def, OPT_FLAGS);
	struct sv_buf f = SV_BUF_INIT;
	if (o) {
		enum sv_status st = flags_from_list(vm, o->idx, &f);
		if (st != SV_OK) {
			sv_buf_free(&f);
			return st;
		}
	} else {
		const struct sv_buf *b = internal_var(vm);
		sv_buf_append(&f, b->p ? b->p : "", b->len);
	}
	split_flags(vm, f.p ? f.p : "", f.len, &a->flags, &a->nflags);
	a->has_flags = true;
	sv_buf_free(&f);
	return SV_OK;
}

static enum sv_status on_run_end(struct sv_vm *vm)
{
	const struct sv_buf *b = internal_var(vm);
	struct sv_result *r = vm->result;
	const char **v;
	size_t n;
	split_flags(vm, b->p ? b->p : "", b->len, &v, &n);
	const char **keep = sv_arena_array(r->arena, n ? n : 1, sizeof *keep);
	for (size_t i = 0; i < n; i++)
		keep[i] = sv_arena_strndup(r->arena, v[i], strlen(v[i]));
	r->keep_flags = keep;
	r->nkeep_flags = n;
	r->keep_has_flags = true;
	return SV_OK;
}

/* ---- validation and generation ---- */

static bool validate_flagcmd(struct sv_validator *v, struct sv_ast_node *n)
{
	struct sv_vnode *vn = sv_vnode(n);
	if (vn->npos == 2) {
		struct sv_ast_arg *name = vn->pos[0];
		if (name->kind != SV_AST_STRING) {
			sv_validator_error(v, name->loc, "the variable name of %s must be one string",
					   n->id);
			return false;
		}
		if (!sv_validator_has(v, &sv_ext_variables_def)) {
			sv_validator_error(v, name->loc,
					   "a variable name in %s needs require \"variables\"", n->id);
			return false;
		}
		if (!sv_var_name_valid(name->strs[0].s, name->strs[0].len)) {
			sv_validator_error(v, name->loc, "invalid variable name '%s'",
					   sv_validator_quote(v, name->strs[0].s, name->strs[0].len));
			return false;
		}
		return sv_validator_var(v, name->strs[0].s, name->strs[0].len, name->loc) >= 0;
	}
	return true;
}

static void generate_flagcmd(struct sv_codegen *g, struct sv_ast_node *n)
{
	struct sv_vnode *vn = sv_vnode(n);
	unsigned base = vn->cmd->op;
	if (vn->npos == 2) {
		const struct sv_ast_str *name = &vn->pos[0]->strs[0];
		int slot = sv_validator_var(sv_cg_validator(g), name->s, name->len, name->loc);
		sv_cg_op(g, vn->ext, base + 3, n->loc.line);
		sv_cg_varint(g, (uint64_t)(slot < 0 ? 0 : slot));
		sv_cg_list(g, vn->pos[1]);
	} else {
		sv_cg_op(g, vn->ext, base, n->loc.line);
		sv_cg_list(g, vn->pos[0]);
	}
}

static bool validate_hasflag(struct sv_validator *v, struct sv_ast_node *n)
{
	struct sv_vnode *vn = sv_vnode(n);
	if (vn->npos == 2 && !sv_validator_has(v, &sv_ext_variables_def)) {
		sv_validator_error(v, vn->pos[0]->loc,
				   "variable names in hasflag need require \"variables\"");
		return false;
	}
	return true;
}

static void generate_hasflag(struct sv_codegen *g, struct sv_ast_node *n)
{
	struct sv_vnode *vn = sv_vnode(n);
	if (vn->npos == 2) {
		sv_cg_op(g, vn->ext, OP_HASFLAG_VARS, n->loc.line);
		sv_cg_list(g, vn->pos[0]);
		sv_cg_list(g, vn->pos[1]);
	} else {
		sv_cg_op(g, vn->ext, OP_HASFLAG, n->loc.line);
		sv_cg_list(g, vn->pos[0]);
	}
	sv_cg_optionals(g, n);
}

static const char *const flags_targets[] = {"keep", "fileinto", NULL};

static const struct sv_tag_def imap4flags_tags[] = {
	{.name = "flags", .value = 'l', .opt = OPT_FLAGS, .attach = flags_targets},
	{NULL},
};

static const struct sv_cmd_def imap4flags_commands[] = {
	{"setflag", SV_CMD_COMMAND, "l?l", .op = OP_SET, .validate = validate_flagcmd,
	 .generate = generate_flagcmd},
	{"addflag", SV_CMD_COMMAND, "l?l", .op = OP_ADD, .validate = validate_flagcmd,
	 .generate = generate_flagcmd},
	{"removeflag", SV_CMD_COMMAND, "l?l", .op = OP_REMOVE, .validate = validate_flagcmd,
	 .generate = generate_flagcmd},
	{"hasflag", SV_CMD_TEST, "l?l", .flags = SV_CMDF_MATCHING, .op = OP_HASFLAG,
	 .validate = validate_hasflag, .generate = generate_hasflag},
	{NULL},
};

static const struct sv_op_def imap4flags_ops[] = {
	{"setflag", "l", op_set, NULL, false},
	{"addflag", "l", op_add, NULL, false},
	{"removeflag", "l", op_remove, NULL, false},
	{"setflag.var", "vl", op_set_var, NULL, false},
	{"addflag.var", "vl", op_add_var, NULL, false},
	{"removeflag.var", "vl", op_remove_var, NULL, false},
	{"hasflag", "lx", op_hasflag, NULL, true},
	{"hasflag.vars", "llx", op_hasflag, NULL, true},
	{NULL},
};

static const char *const imap4flags_opt_names[] = {"flags"};

struct sv_ext_def sv_ext_imap4flags_def = {
	.name = "imap4flags",
	.commands = imap4flags_commands,
	.tags = imap4flags_tags,
	.ops = imap4flags_ops,
	.opt_kinds = "l",
	.opt_names = imap4flags_opt_names,
	.decorate_action = decorate,
	.on_run_end = on_run_end,
	.free_state = free_state,
};
