/*
 * registry.c: the registry derived from ext-list.def, and the descriptor
 * self-check (unique names, parsable signatures, reachable operations).
 */
#include "ext/registry.h"

#include <string.h>

#include "lib/utf8.h"

static struct sv_ext_def *const all[] = {
#define SV_EXT(sym) &sym,
#include "ext/ext-list.def"
#undef SV_EXT
};

#define NEXT (sizeof all / sizeof all[0])

static void init_indexes(void)
{
	static bool done;
	if (done)
		return;
	for (size_t i = 0; i < NEXT; i++)
		all[i]->index = (unsigned)i;
	done = true;
}

size_t sv_ext_count(void)
{
	return NEXT;
}

struct sv_ext_def *sv_ext_at(size_t i)
{
	init_indexes();
	return i < NEXT ? all[i] : NULL;
}

struct sv_ext_def *sv_ext_core(void)
{
	init_indexes();
	return all[0];
}

struct sv_ext_def *sv_ext_find(const char *name, size_t len)
{
	init_indexes();
	for (size_t i = 0; i < NEXT; i++)
		if (strlen(all[i]->name) == len && memcmp(all[i]->name, name, len) == 0)
			return all[i];
	return NULL;
}

const struct sv_cmp_def *sv_ext_find_comparator(const char *name, size_t len,
						 struct sv_ext_def **ext_r, unsigned *idx_r)
{
	init_indexes();
	for (size_t i = 0; i < NEXT; i++) {
		for (unsigned k = 0; all[i]->comparators && all[i]->comparators[k]; k++) {
			const struct sv_cmp_def *c = all[i]->comparators[k];
			/* RFC 4790 §3.1: comparator names compare case-insensitively */
			if (sv_ascii_ieq(c->name, strlen(c->name), name, len)) {
				*ext_r = all[i];
				*idx_r = k;
				return c;
			}
		}
	}
	return NULL;
}

static const char *const relations[] = {NULL, "gt", "ge", "lt", "le", "eq", "ne"};

int sv_relation_parse(const char *s, size_t len)
{
	for (int i = SV_REL_GT; i <= SV_REL_NE; i++)
		if (sv_ascii_ieq(s, len, relations[i], 2))
			return i;
	return -1;
}

const char *sv_relation_name(unsigned rel)
{
	return rel >= SV_REL_GT && rel <= SV_REL_NE ? relations[rel] : "?";
}

bool sv_relation_holds(unsigned rel, int cmp)
{
	switch (rel) {
	case SV_REL_GT: return cmp > 0;
	case SV_REL_GE: return cmp >= 0;
	case SV_REL_LT: return cmp < 0;
	case SV_REL_LE: return cmp <= 0;
	case SV_REL_EQ: return cmp == 0;
	case SV_REL_NE: return cmp != 0;
	}
	return false;
}

static bool sig_ok(const char *sig, const char *allowed)
{
	for (const char *p = sig; *p; p++) {
		if (!strchr(allowed, *p))
			return false;
		if (*p == 'x' && p[1])
			return false;
	}
	return true;
}

size_t sv_ext_self_check(struct sv_buf *out)
{
	size_t problems = 0;
	init_indexes();
	for (size_t i = 0; i < NEXT; i++) {
		const struct sv_ext_def *e = all[i];
		for (size_t j = 0; j < i; j++)
			if (strcmp(all[j]->name, e->name) == 0) {
				sv_buf_printf(out, "extension %s listed twice\n", e->name);
				problems++;
			}
		size_t nops = 0;
		while (e->ops && e->ops[nops].mnemonic)
			nops++;
		for (size_t k = 0; k < nops; k++) {
			if (!sig_ok(e->ops[k].sig, "nsljvx")) {
				sv_buf_printf(out, "%s: op %s has a bad signature '%s'\n", e->name,
					      e->ops[k].mnemonic, e->ops[k].sig);
				problems++;
			}
			if (!e->ops[k].exec) {
				sv_buf_printf(out, "%s: op %s has no handler\n", e->name,
					      e->ops[k].mnemonic);
				problems++;
			}
		}
		if (e->opt_kinds && !sig_ok(e->opt_kinds, "fnslcma")) {
			sv_buf_printf(out, "%s: bad optional kinds '%s'\n", e->name, e->opt_kinds);
			problems++;
		}
		for (size_t c = 0; e->commands && e->commands[c].id; c++) {
			const struct sv_cmd_def *cmd = &e->commands[c];
			if (!sig_ok(cmd->sig, "sln?")) {
				sv_buf_printf(out, "%s: command %s has a bad signature\n", e->name,
					      cmd->id);
				problems++;
			}
			if (!(cmd->flags & SV_CMDF_CONTROL) && !cmd->generate && cmd->op >= nops) {
				sv_buf_printf(out, "%s: command %s names op %u of %zu\n", e->name,
					      cmd->id, cmd->op, nops);
				problems++;
			}
			/* the same identifier in two extensions would be ambiguous */
			for (size_t j = 0; j < NEXT; j++)
				for (size_t d = 0; all[j]->commands && all[j]->commands[d].id; d++)
					if ((j != i || d != c) &&
					    strcmp(all[j]->commands[d].id, cmd->id) == 0 &&
					    all[j]->commands[d].kind == cmd->kind && j < i) {
						sv_buf_printf(out, "command %s defined by %s and %s\n",
							      cmd->id, all[j]->name, e->name);
						problems++;
					}
			for (size_t t = 0; cmd->tags && cmd->tags[t].name; t++) {
				const struct sv_tag_def *tag = &cmd->tags[t];
				if (!e->opt_kinds || tag->opt >= strlen(e->opt_kinds)) {
					sv_buf_printf(out, "%s: tag :%s uses an undeclared optional\n",
						      e->name, tag->name);
					problems++;
				}
			}
		}
	}
	return problems;
}
