/*
 * vacation-seconds.c: the vacation-seconds extension (RFC 6131): the
 * :seconds argument of vacation, a period in seconds instead of days.
 * The vacation action itself reads it (vacation.c), which is also where
 * the period is bounded and ":seconds 0" / ":days 0" are understood.
 */
#include <string.h>

#include "ext/registry.h"
#include "parser/validate.h"

enum { OPT_SECONDS };

/* RFC 6131 §2: :seconds instead of :days, not both. */
static bool validate_seconds(struct sv_validator *v, struct sv_ast_node *cmd,
                             struct sv_ast_arg *tag, struct sv_ast_arg *value)
{
	if (sv_vnode_tag(cmd, "days")) {
		sv_validator_error(v, tag->loc,
		                   "tagged arguments ':days' and ':seconds' of the vacation command "
		                   "exclude each other");
		return false;
	}
	return true;
}

static const char *const attach_vacation[] = {"vacation", NULL};
static const struct sv_tag_def vacation_seconds_tags[] = {
	{.name = "seconds", .value = 'n', .opt = OPT_SECONDS, .attach = attach_vacation,
	 .validate = validate_seconds},
	{NULL},
};
static const char *const vacation_seconds_implies[] = {"vacation", NULL};
static const char *const vacation_seconds_opt_names[] = {"seconds"};

struct sv_ext_def sv_ext_vacation_seconds_def = {
	.name = "vacation-seconds",
	.implies = vacation_seconds_implies,
	.tags = vacation_seconds_tags,
	.opt_kinds = "n",
	.opt_names = vacation_seconds_opt_names,
};
