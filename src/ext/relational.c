/*
 * relational.c: the relational extension (RFC 5231): the match types
 * :value (§4.1, ordering with the comparator) and :count (§4.2, the number
 * of values compared with the key).
 */
#include "ext/registry.h"
#include "vm/vm.h"

static bool rel_match(const struct sv_cmp_def *cmp, unsigned rel, const char *val, size_t vlen,
		      const char *key, size_t klen, void *state, struct sv_match_state *ms)
{
	return sv_relation_holds(rel, cmp->compare(val, vlen, key, klen));
}

static const struct sv_match_def match_value = {
	.name = "value",
	.relation = true,
	.match = rel_match,
};

static const struct sv_match_def match_count = {
	.name = "count",
	.relation = true,
	.count = true,
	.match = rel_match,
};

static const struct sv_match_def *const relational_matches[] = {&match_value, &match_count, NULL};

struct sv_ext_def sv_ext_relational_def = {
	.name = "relational",
	.match_types = relational_matches,
};
