/*
 * index.c: the index extension (RFC 5260 §6): ":index <fieldno>" and
 * ":last" on the header, address and date tests select one field of the
 * name, counted from 1 from the first field, or from the last with :last.
 * The header source (vm/headers.c) applies the selection; this file owns
 * the tags and their operands.
 */
#include <string.h>

#include "ext/registry.h"
#include "parser/validate.h"
#include "vm/headers.h"
#include "vm/vm.h"

enum { OPT_INDEX, OPT_LAST };

static const char *const index_targets[] = {"header", "address", "date", NULL};

/* §6: "counting starts at 1": 0 names no field, which is surely a
 * mistake in the script rather than a test meant to be false */
static bool validate_index(struct sv_validator *v, struct sv_ast_node *cmd, struct sv_ast_arg *tag,
                           struct sv_ast_arg *value)
{
	if (value->num == 0) {
		sv_validator_error(v, value->loc,
		                   "the field number of :index counts from 1; 0 names no field");
		return false;
	}
	return true;
}

/* §6: it is an error for :last to be given without :index (the tags may
 * come in any order, so the command's own arguments are searched) */
static bool validate_last(struct sv_validator *v, struct sv_ast_node *cmd, struct sv_ast_arg *tag,
                          struct sv_ast_arg *value)
{
	for (struct sv_ast_arg *a = cmd->args; a; a = a->next)
		if (a->kind == SV_AST_TAG && strcmp(a->tag, "index") == 0)
			return true;
	sv_validator_error(v, tag->loc, ":last needs :index in the %s test", cmd->id);
	return false;
}

static const struct sv_tag_def index_tags[] = {
    {.name = "index",
     .value = 'n',
     .opt = OPT_INDEX,
     .attach = index_targets,
     .validate = validate_index},
    {.name = "last", .opt = OPT_LAST, .attach = index_targets, .validate = validate_last},
    {NULL},
};

void sv_index_selection(const struct sv_operands *ops, struct sv_hdr_select *sel)
{
	const struct sv_optarg *o = sv_ops_opt(ops, &sv_ext_index_def, OPT_INDEX);
	sel->index = o ? o->num : 0;
	sel->last = o && sv_ops_opt(ops, &sv_ext_index_def, OPT_LAST);
}

static const char *const index_opt_names[] = {"index", "last"};

struct sv_ext_def sv_ext_index_def = {
    .name = "index",
    .tags = index_tags,
    .opt_kinds = "nf",
    .opt_names = index_opt_names,
};
