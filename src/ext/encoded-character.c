/*
 * encoded-character.c: RFC 5228 §2.4.2.4, "${hex:...}" and
 * "${unicode:...}" in strings, decoded at compile time by the validator
 * once this capability is required.
 */
#include "ext/registry.h"
#include "parser/validate.h"

static bool on_require(struct sv_validator *v)
{
	v->encoded_chars = true;
	return true;
}

struct sv_ext_def sv_ext_encoded_character_def = {
	.name = "encoded-character",
	.on_require = on_require,
};
