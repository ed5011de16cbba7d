/*
 * ascii-numeric.c: "comparator-i;ascii-numeric" (RFC 5228 §2.7.3,
 * RFC 4790 §9.1); the comparator itself is in vm/comparator.c.
 */
#include "ext/registry.h"
#include "vm/vm.h"

static const struct sv_cmp_def *const numeric_comparators[] = {&sv_cmp_ascii_numeric, NULL};

struct sv_ext_def sv_ext_ascii_numeric_def = {
	.name = "comparator-i;ascii-numeric",
	.comparators = numeric_comparators,
};
