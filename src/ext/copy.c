/*
 * copy.c: the copy extension (RFC 3894): ":copy" on redirect and fileinto
 * keeps the implicit keep (§3).
 */
#include "ext/registry.h"
#include "vm/result.h"
#include "vm/vm.h"

static const char *const copy_targets[] = {"redirect", "fileinto", NULL};

static const struct sv_tag_def copy_tags[] = {
	{.name = "copy", .opt = 0, .attach = copy_targets},
	{NULL},
};

static enum sv_status decorate(struct sv_vm *vm, const struct sv_operands *ops,
			       struct sv_action *a)
{
	if (sv_ops_opt(ops, &sv_ext_copy_def, 0))
		a->copy = true;
	return SV_OK;
}

static const char *const copy_opt_names[] = {"copy"};

struct sv_ext_def sv_ext_copy_def = {
	.name = "copy",
	.tags = copy_tags,
	.opt_kinds = "f",
	.opt_names = copy_opt_names,
	.decorate_action = decorate,
};
