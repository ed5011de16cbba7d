/*
 * spamtestplus.c: the spamtestplus extension (RFC 5235 §3.2.2): the
 * :percent tag of spamtest, which then gives the verdict as a percentage.
 * Requiring it requires spamtest; the work is in spamtest.c.
 */
#include "ext/registry.h"

static const char *const percent_targets[] = {"spamtest", NULL};

static const struct sv_tag_def spamtestplus_tags[] = {
	{.name = "percent", .opt = 0, .attach = percent_targets},
	{NULL},
};

static const char *const spamtestplus_implies[] = {"spamtest", NULL};
static const char *const spamtestplus_opt_names[] = {"percent"};

struct sv_ext_def sv_ext_spamtestplus_def = {
	.name = "spamtestplus",
	.implies = spamtestplus_implies,
	.tags = spamtestplus_tags,
	.opt_kinds = "f",
	.opt_names = spamtestplus_opt_names,
};
