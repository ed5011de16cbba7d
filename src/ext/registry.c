/*
 * registry.c: the registry derived from ext-list.def, and the descriptor
 * self-check (unique names, parsable signatures, reachable operations).
 */
#include "ext/registry.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/utf8.h"

static struct sv_ext_def *const all[] = {
#define SV_EXT(sym) &sym,
#include "ext/ext-list.def"
#undef SV_EXT
};

#define NEXT (sizeof all / sizeof all[0])

/* The settings extensions declare, gathered at start-up (limits.h). */
static const struct sv_setting_info *ext_rows[SV_EXT_SETTINGS_MAX];
static const char *ext_owners[SV_EXT_SETTINGS_MAX];
static size_t n_ext_rows, n_ext_wanted;

static void init_indexes(void)
{
	static bool done;
	if (done)
		return;
	for (size_t i = 0; i < NEXT; i++) {
		all[i]->index = (unsigned)i;
		all[i]->settings_base = SV_SET__COUNT + (int)n_ext_rows;
		for (size_t k = 0; all[i]->settings && all[i]->settings[k].key; k++) {
			/* sv_ext_self_check reports descriptors that want more */
			if (n_ext_rows < SV_EXT_SETTINGS_MAX) {
				ext_rows[n_ext_rows] = &all[i]->settings[k];
				ext_owners[n_ext_rows++] = all[i]->name;
			}
			n_ext_wanted++;
		}
	}
	done = true;
}

size_t sv_ext_settings_catalog(const struct sv_setting_info *const **rows_r,
                               const char *const **owners_r)
{
	init_indexes();
	if (rows_r)
		*rows_r = ext_rows;
	if (owners_r)
		*owners_r = ext_owners;
	return n_ext_rows;
}

const struct sv_envpart_def *sv_ext_find_envpart(const char *name, size_t len,
                                                 const struct sv_ext_def **ext_r)
{
	init_indexes();
	for (size_t i = 0; i < NEXT; i++)
		for (size_t k = 0; all[i]->envelope_parts && all[i]->envelope_parts[k]; k++) {
			const struct sv_envpart_def *p = all[i]->envelope_parts[k];
			if (sv_ascii_ieq(p->name, strlen(p->name), name, len)) {
				if (ext_r)
					*ext_r = all[i];
				return p;
			}
		}
	return NULL;
}

void sv_ext_capabilities(struct sv_buf *out)
{
	init_indexes();
	for (size_t i = 0; i < NEXT; i++) {
		if (all[i]->always || all[i]->hidden)
			continue;
		if (out->len)
			sv_buf_putc(out, ' ');
		sv_buf_puts(out, all[i]->name);
	}
}

int sv_ext_setting_id(const struct sv_ext_def *e, unsigned local)
{
	init_indexes();
	return e->settings_base + (int)local;
}

uint64_t sv_ext_setting(const struct sv_settings *s, const struct sv_ext_def *e, unsigned local)
{
	int id = sv_ext_setting_id(e, local);
	return s ? sv_settings_get(s, id) : sv_setting_info_of(id)->def;
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

/* The settings: a key (or alias) used once across the core and every
 * extension, defaults within bounds, room enough. */
static size_t check_settings(struct sv_buf *out)
{
	size_t problems = 0;
	if (n_ext_wanted > SV_EXT_SETTINGS_MAX) {
		sv_buf_printf(out, "extensions declare %zu settings, more than SV_EXT_SETTINGS_MAX (%d)\n",
		              n_ext_wanted, SV_EXT_SETTINGS_MAX);
		problems++;
	}
	int n = sv_settings_count();
	for (int i = 0; i < n; i++) {
		const struct sv_setting_info *a = sv_setting_info_of(i);
		if (a->type != SV_SETTING_TEXT && (a->def < a->min || a->def > a->max)) {
			sv_buf_printf(out, "setting %s: default outside its bounds\n", a->key);
			problems++;
		}
		if (!a->help || !*a->help || !a->alias) {
			sv_buf_printf(out, "setting %s: no help text or alias field\n", a->key);
			problems++;
		}
		/* every name of a: its key and aliases, each found first at i */
		const char *names = a->alias;
		for (const char *k = a->key; k;) {
			size_t kl = strcspn(k, "|");
			char name[128];
			snprintf(name, sizeof name, "%.*s", (int)kl, k);
			if (kl && sv_settings_find(name) != i) {
				sv_buf_printf(out, "setting name %s used twice\n", name);
				problems++;
			}
			if (k == a->key) {
				k = *names ? names : NULL;
			} else {
				k += kl;
				k = *k ? k + 1 : NULL;
			}
		}
	}
	return problems;
}

size_t sv_ext_self_check(struct sv_buf *out)
{
	size_t problems = 0;
	init_indexes();
	problems += check_settings(out);
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

void sv_ext_host_name(char *out, size_t size)
{
	if (gethostname(out, size - 1) != 0 || !out[0])
		strcpy(out, "localhost");
	out[size - 1] = '\0';
	for (char *p = out; *p; p++)
		if (!(sv_ascii_isalpha((unsigned char)*p) || sv_ascii_isdigit((unsigned char)*p) ||
		      *p == '-' || *p == '.')) {
			strcpy(out, "localhost");
			break;
		}
}
