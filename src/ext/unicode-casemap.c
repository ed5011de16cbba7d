/*
 * unicode-casemap.c: "comparator-i;unicode-casemap" (RFC 5228 §2.7.3,
 * RFC 4790 §4, RFC 5051). The comparator is in vm/comparator.c, its
 * preparation of strings in lib/unicode-casemap.c; the matching core
 * prepares keys and values, so every command that takes :comparator
 * (header, address, envelope, string, body, environment, hasflag...)
 * and every match type the comparator offers (:is, :contains, :matches,
 * relational :value and :count) can use it.
 */
#include "ext/registry.h"
#include "vm/vm.h"

static const struct sv_cmp_def *const unicode_comparators[] = {&sv_cmp_unicode_casemap, NULL};

struct sv_ext_def sv_ext_unicode_casemap_def = {
	.name = "comparator-i;unicode-casemap",
	.comparators = unicode_comparators,
};
