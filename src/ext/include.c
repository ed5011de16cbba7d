/*
 * include.c: the include extension (RFC 6609): include (§3.2), return
 * (§3.3), global (§3.4) and the global variable namespace (§3.5).
 *
 * An included script runs as a child frame of the VM (vm.h,
 * sv_vm_include): its own binary, variables and match variables; the
 * run's result, budgets (max-instructions and max-cpu-time count over
 * every script of the include tree, as one script would) and run
 * context; global variables shared by name. Scripts come from the run
 * context's resolver (delivery/scripts.h) when an include is reached,
 * compiled through the .svbin cache. Limits: include-max-nesting-depth
 * and include-max-includes (Pigeonhole's sieve_include_max_nesting_depth
 * and sieve_include_max_includes).
 *
 * Cycles (§3.2) are found when they run: an include of a script that is
 * running (the top script or one that included this one) is a runtime
 * error, unless :once skips it. sievec compiles one script at a time
 * and does not know whether it is the user's or the admin's, so the only
 * compile-time sign, a personal include of the script's own name without
 * :once, is a warning.
 */
#include <string.h>

#include "delivery/run.h"
#include "delivery/scripts.h"
#include "ext/registry.h"
#include "lib/alloc.h"
#include "parser/codegen.h"
#include "parser/compile.h"
#include "parser/script.h"
#include "parser/validate.h"
#include "vm/vm.h"

enum { OP_INCLUDE, OP_RETURN };
/* optional operands of include, all flags */
enum { OPT_PERSONAL, OPT_GLOBAL, OPT_ONCE, OPT_OPTIONAL };
enum { SET_MAX_NESTING, SET_MAX_INCLUDES };

static const struct sv_setting_info include_settings[] = {
	{"include-max-nesting-depth", "sieve_include_max_nesting_depth", SV_SETTING_NUMBER, 10, 1,
	 255, NULL, "how deep includes may nest (RFC 6609 §3.2)", false},
	{"include-max-includes", "sieve_include_max_includes", SV_SETTING_NUMBER, 255, 1, 65535,
	 NULL, "how many scripts one run may include, every include counted", false},
	{NULL},
};

/* ---- validation ---- */

struct ref_count {
	size_t n;
};

static void count_var(void *ctx, const char *name, size_t len)
{
	(void)name;
	(void)len;
	((struct ref_count *)ctx)->n++;
}

static void count_match(void *ctx, unsigned idx)
{
	(void)idx;
	((struct ref_count *)ctx)->n++;
}

static void count_ns(void *ctx, const struct sv_ext_def *ext, unsigned nsidx,
		     const struct sv_namespace_def *ns, const char *name, size_t len)
{
	(void)ext;
	(void)nsidx;
	(void)ns;
	(void)name;
	(void)len;
	((struct ref_count *)ctx)->n++;
}

static bool validate_include(struct sv_validator *v, struct sv_ast_node *n)
{
	struct sv_vnode *vn = sv_vnode(n);
	const struct sv_ast_str *s = &vn->pos[0]->strs[0];
	/* §3.2: the name is a constant string, never expanded */
	if (v->templates) {
		struct ref_count rc = {0};
		struct sv_tpl_visitor vis = {.var = count_var, .match = count_match,
					     .ns = count_ns, .ctx = &rc};
		struct sv_buf err = SV_BUF_INIT;
		bool scanned = sv_tpl_scan(v, s->s, s->len, &vis, &err);
		sv_buf_free(&err);
		if (!scanned || rc.n) {
			sv_validator_error(v, s->loc,
					   "the script name of include must be a constant string, "
					   "without variables");
			return false;
		}
	}
	struct sv_buf why = SV_BUF_INIT;
	bool ok = sv_script_name_check(s->s, s->len, &why);
	if (!ok)
		sv_validator_error(v, s->loc, "invalid script name '%s' for include: %s",
				   sv_validator_quote(v, s->s, s->len), why.p);
	sv_buf_free(&why);
	if (!ok)
		return false;
	if (v->file && !sv_vnode_tag(n, "global") && !sv_vnode_tag(n, "once")) {
		struct sv_buf self = SV_BUF_INIT;
		sv_script_name(v->file, &self);
		if (self.len == s->len && memcmp(self.p, s->s, s->len) == 0)
			sv_validator_warning(v, s->loc,
					     "the script includes itself: as a personal script "
					     "this is a cycle, an error when it runs");
		sv_buf_free(&self);
	}
	return true;
}

/* §3.4: names declared global are the run's variables of that name */
static bool validate_global(struct sv_validator *v, struct sv_ast_node *n)
{
	if (!sv_validator_has(v, &sv_ext_variables_def)) {
		sv_validator_error(v, n->loc, "the global command needs require \"variables\"");
		return false;
	}
	const struct sv_ast_arg *names = sv_vnode(n)->pos[0];
	bool ok = true;
	for (size_t i = 0; i < names->nstrs; i++) {
		const struct sv_ast_str *s = &names->strs[i];
		if (!sv_var_name_valid(s->s, s->len)) {
			sv_validator_error(v, s->loc, "invalid variable name '%s' for global",
					   sv_validator_quote(v, s->s, s->len));
			ok = false;
			continue;
		}
		if (sv_validator_var_known(v, s->s, s->len)) {
			sv_validator_error(v, s->loc,
					   "variable '%s' was used as a local variable before "
					   "this global declaration",
					   sv_validator_quote(v, s->s, s->len));
			ok = false;
			continue;
		}
		struct sv_buf full = SV_BUF_INIT;
		sv_buf_puts(&full, "global.");
		sv_buf_append(&full, s->s, s->len);
		sv_validator_var_alias(v, s->s, s->len, full.p, full.len);
		sv_buf_free(&full);
		ok = sv_validator_var(v, s->s, s->len, s->loc) >= 0 && ok;
	}
	return ok;
}

/* ---- generation ---- */

/* global only changes where the names are kept: no instruction */
static void generate_global(struct sv_codegen *g, struct sv_ast_node *n)
{
	(void)g;
	(void)n;
}

/* ---- the global namespace (§3.5) ---- */

static bool global_check(const char *name, size_t len, bool assign, struct sv_buf *err)
{
	(void)assign;
	if (!sv_var_name_valid(name, len)) {
		sv_buf_printf(err, "invalid global variable name 'global.%.*s'",
			      (int)(len > 64 ? 64 : len), name);
		return false;
	}
	return true;
}

static const struct sv_namespace_def global_namespace = {
	.name = "global", .check = global_check, .variables = true};
static const struct sv_namespace_def *const include_namespaces[] = {&global_namespace, NULL};

/* ---- running ---- */

static bool verify_include(const struct sv_operands *ops, struct sv_buf *err)
{
	if (sv_ops_opt(ops, &sv_ext_include_def, OPT_PERSONAL) &&
	    sv_ops_opt(ops, &sv_ext_include_def, OPT_GLOBAL)) {
		sv_buf_puts(err, "include: both :personal and :global");
		return false;
	}
	return true;
}

/* Scripts this run has included, every include counted. */
static uint64_t *include_count(struct sv_vm *vm)
{
	void **st = sv_vm_ext_state(vm, &sv_ext_include_def);
	if (!*st)
		*st = sv_calloc(1, sizeof(uint64_t));
	return *st;
}

static enum sv_status op_include(struct sv_vm *vm, const struct sv_operands *ops)
{
	enum sv_script_location loc = sv_ops_opt(ops, &sv_ext_include_def, OPT_GLOBAL)
					      ? SV_SCRIPT_GLOBAL
					      : SV_SCRIPT_PERSONAL;
	bool once = sv_ops_opt(ops, &sv_ext_include_def, OPT_ONCE) != NULL;
	bool optional = sv_ops_opt(ops, &sv_ext_include_def, OPT_OPTIONAL) != NULL;
	struct sv_str name;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &name);
	if (st != SV_OK)
		return st;
	struct sv_buf why = SV_BUF_INIT;
	if (!sv_script_name_check(name.p, name.len, &why)) {
		sv_vm_error(vm, "include: invalid script name '%.*s': %s",
			    (int)(name.len > 64 ? 64 : name.len), name.p, why.p);
		sv_buf_free(&why);
		return SV_FAIL;
	}
	struct sv_buf key = SV_BUF_INIT;
	sv_buf_printf(&key, "%s:", sv_script_location_name(loc));
	sv_buf_append(&key, name.p, name.len);
	if (once && sv_vm_was_included(vm, key.p)) {
		sv_buf_free(&key);
		return SV_OK; /* §3.2 :once: already included, not again */
	}
	uint64_t max_depth = sv_ext_setting(vm->settings, &sv_ext_include_def, SET_MAX_NESTING);
	uint64_t max_count = sv_ext_setting(vm->settings, &sv_ext_include_def, SET_MAX_INCLUDES);
	uint64_t *count = include_count(vm);
	struct sv_script_resolver *resolver = vm->run ? vm->run->resolver : NULL;
	const struct sv_binary *bin = NULL;
	bool missing = false;
	if (sv_vm_is_active(vm, key.p)) {
		st = sv_vm_error(vm, "include: %s script '%s' is already running: a cycle",
				 sv_script_location_name(loc), key.p + strlen(sv_script_location_name(loc)) + 1);
	} else if (vm->depth + 1 > max_depth) {
		st = sv_vm_error(vm, "include: nested deeper than %llu scripts",
				 (unsigned long long)max_depth);
		st = SV_LIMIT;
	} else if (*count + 1 > max_count) {
		st = sv_vm_error(vm, "include: more than %llu scripts included",
				 (unsigned long long)max_count);
		st = SV_LIMIT;
	} else if (!resolver) {
		st = sv_vm_error(vm, "include: no scripts can be included here");
	} else {
		st = sv_dlv_resolve(resolver, loc, name.p, name.len, &bin, &missing, &why);
		if (st != SV_OK && missing && optional)
			st = SV_OK; /* §3.2 :optional: a missing script is no error */
		else if (st != SV_OK)
			sv_vm_error(vm, "include: %s", why.p ? why.p : sv_status_name(st));
	}
	if (st == SV_OK && bin) {
		(*count)++;
		st = sv_vm_include(vm, bin, key.p);
	}
	sv_buf_free(&why);
	sv_buf_free(&key);
	return st;
}

/* §3.3: ends this script; the including one goes on (at the top, the
 * run ends as with stop) */
static enum sv_status op_return(struct sv_vm *vm, const struct sv_operands *ops)
{
	(void)ops;
	vm->stopped = true;
	vm->returned = true;
	return SV_OK;
}

static const struct sv_tag_def include_tags[] = {
	{"personal", 0, OPT_PERSONAL, 1, NULL, NULL},
	{"global", 0, OPT_GLOBAL, 1, NULL, NULL},
	{"once", 0, OPT_ONCE, 0, NULL, NULL},
	{"optional", 0, OPT_OPTIONAL, 0, NULL, NULL},
	{NULL},
};
static const char *const include_opt_names[] = {"personal", "global", "once", "optional"};

static const struct sv_cmd_def include_commands[] = {
	{"include", SV_CMD_COMMAND, "s", .tags = include_tags, .op = OP_INCLUDE,
	 .validate = validate_include},
	{"return", SV_CMD_COMMAND, "", .op = OP_RETURN},
	{"global", SV_CMD_COMMAND, "l", .validate = validate_global, .generate = generate_global},
	{NULL},
};

static const struct sv_op_def include_ops[] = {
	[OP_INCLUDE] = {"include", "sx", op_include, verify_include, false},
	[OP_RETURN] = {"return", "", op_return, NULL, false},
	{NULL},
};

static void free_state(void *state)
{
	sv_free(state);
}

struct sv_ext_def sv_ext_include_def = {
	.name = "include",
	.commands = include_commands,
	.ops = include_ops,
	.opt_kinds = "ffff",
	.opt_names = include_opt_names,
	.namespaces = include_namespaces,
	.settings = include_settings,
	.free_state = free_state,
};
