/*
 * validate.c: meaning from the registry (see validate.h).
 *
 * RFC 5228 §2.6 (arguments, tagged arguments before positional ones),
 * §2.7 (match types, comparators, address parts), §2.10.5 (extensions and
 * require), §3.1 (if/elsif/else), §3.2 (require before other commands),
 * §2.4.2.4 (encoded-character); RFC 5229 §3 (variable references).
 */
#include "parser/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/utf8.h"

/* Equal NUL-terminated strings (the first byte settles most). */
static inline bool streq(const char *a, const char *b)
{
	return a[0] == b[0] && strcmp(a, b) == 0;
}

void sv_validator_error(struct sv_validator *v, struct sv_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sv_diag_vadd(v->diags, SV_DIAG_ERROR, loc, fmt, ap);
	va_end(ap);
}

void sv_validator_warning(struct sv_validator *v, struct sv_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sv_diag_vadd(v->diags, SV_DIAG_WARNING, loc, fmt, ap);
	va_end(ap);
}

const char *sv_validator_quote(struct sv_validator *v, const char *s, size_t len)
{
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_put_sanitized(&b, s, len, 64);
	const char *q = sv_arena_strndup(v->arena, b.p ? b.p : "", b.len);
	sv_buf_free(&b);
	return q;
}

bool sv_validator_has(const struct sv_validator *v, const struct sv_ext_def *e)
{
	return v->enabled[e->index];
}

void sv_validator_free(struct sv_validator *v)
{
	for (size_t i = 0; i < v->nvars; i++)
		sv_free(v->vars[i]);
	sv_free(v->vars);
	for (size_t i = 0; i < v->naliases; i++)
		sv_free(v->aliases[i]);
	sv_free(v->aliases);
	v->aliases = NULL;
	sv_free(v->enabled);
	sv_free(v->order);
	v->vars = NULL;
	v->enabled = NULL;
	v->order = NULL;
}

bool sv_validator_var_known(const struct sv_validator *v, const char *name, size_t len)
{
	for (size_t i = 0; i < v->nvars; i++)
		if (sv_ascii_ieq(v->vars[i], strlen(v->vars[i]), name, len))
			return true;
	return false;
}

void sv_validator_var_alias(struct sv_validator *v, const char *name, size_t len,
			    const char *target, size_t tlen)
{
	for (size_t i = 0; i < v->naliases; i += 2)
		if (sv_ascii_ieq(v->aliases[i], strlen(v->aliases[i]), name, len))
			return;
	if (v->naliases + 2 > v->capaliases) {
		v->capaliases = v->capaliases ? v->capaliases * 2 : 16;
		v->aliases = sv_realloc(v->aliases, v->capaliases * sizeof *v->aliases);
	}
	char *a = sv_strndup(name, len), *t = sv_strndup(target, tlen);
	for (size_t i = 0; i < len; i++)
		a[i] = (char)sv_ascii_lower((unsigned char)a[i]);
	for (size_t i = 0; i < tlen; i++)
		t[i] = (char)sv_ascii_lower((unsigned char)t[i]);
	v->aliases[v->naliases++] = a;
	v->aliases[v->naliases++] = t;
}

int sv_validator_var(struct sv_validator *v, const char *name, size_t len, struct sv_loc loc)
{
	for (size_t i = 0; i < v->naliases; i += 2)
		if (sv_ascii_ieq(v->aliases[i], strlen(v->aliases[i]), name, len)) {
			name = v->aliases[i + 1];
			len = strlen(name);
			break;
		}
	for (size_t i = 0; i < v->nvars; i++)
		if (sv_ascii_ieq(v->vars[i], strlen(v->vars[i]), name, len))
			return (int)i;
	if (v->nvars >= v->settings->max_variables) {
		sv_validator_error(v, loc, "too many variables (the limit is %llu)",
				   (unsigned long long)v->settings->max_variables);
		return -1;
	}
	if (v->nvars == v->capvars) {
		v->capvars = v->capvars ? v->capvars * 2 : 16;
		v->vars = sv_realloc(v->vars, v->capvars * sizeof *v->vars);
	}
	char *s = sv_strndup(name, len);
	for (size_t i = 0; i < len; i++)
		s[i] = (char)sv_ascii_lower((unsigned char)s[i]);
	v->vars[v->nvars] = s;
	return (int)v->nvars++;
}

struct sv_vtag *sv_vnode_tag(struct sv_ast_node *n, const char *name)
{
	struct sv_vnode *vn = sv_vnode(n);
	if (!vn)
		return NULL;
	for (size_t i = 0; i < vn->ntags; i++)
		if (strcmp(vn->tags[i].tag->tag, name) == 0)
			return &vn->tags[i];
	return NULL;
}

/* ---- templates (RFC 5229 §3) ---- */

static bool is_ident_start(unsigned char c)
{
	return sv_ascii_isalpha(c) || c == '_';
}

static bool is_ident_char(unsigned char c)
{
	return sv_ascii_isalpha(c) || sv_ascii_isdigit(c) || c == '_';
}

bool sv_var_name_valid(const char *s, size_t len)
{
	if (len == 0 || !is_ident_start((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_ident_char((unsigned char)s[i]))
			return false;
	return true;
}

/* Parse the inside of "${...}": 1*DIGIT, or identifier *("." name).
 * Returns 0 when it is no reference, 1 for a number, 2 for a name. */
static int parse_ref(const char *p, size_t len, size_t *dot_r)
{
	if (len == 0)
		return 0;
	if (sv_ascii_isdigit((unsigned char)p[0])) {
		for (size_t i = 0; i < len; i++)
			if (!sv_ascii_isdigit((unsigned char)p[i]))
				return 0;
		return 1;
	}
	size_t start = 0, lastdot = (size_t)-1;
	for (;;) {
		size_t i = start;
		if (i >= len)
			return 0;
		if (sv_ascii_isdigit((unsigned char)p[i])) {
			/* num-variable only as a sub-namespace/last part */
			if (start == 0)
				return 0;
			while (i < len && sv_ascii_isdigit((unsigned char)p[i]))
				i++;
		} else {
			if (!is_ident_start((unsigned char)p[i]))
				return 0;
			while (i < len && is_ident_char((unsigned char)p[i]))
				i++;
		}
		if (i == len)
			break;
		if (p[i] != '.')
			return 0;
		lastdot = i;
		start = i + 1;
	}
	*dot_r = lastdot;
	return 2;
}

bool sv_tpl_scan(const struct sv_validator *v, const char *s, size_t len,
		 const struct sv_tpl_visitor *vis, struct sv_buf *err)
{
	size_t lit = 0, i = 0;
	while (i + 1 < len) {
		if (s[i] != '$' || s[i + 1] != '{') {
			i++;
			continue;
		}
		const char *close = memchr(s + i + 2, '}', len - i - 2);
		if (!close) 
			break;
		const char *in = s + i + 2;
		size_t inlen = (size_t)(close - in);
		size_t dot = 0;
		int kind = parse_ref(in, inlen, &dot);
		if (kind == 0) {
			i += 2;
			continue;
		}
		if (i > lit && vis->lit)
			vis->lit(vis->ctx, s + lit, i - lit);
		if (kind == 1) {
			unsigned long long n = 0;
			for (size_t k = 0; k < inlen && n < 1000; k++)
				n = n * 10 + (unsigned)(in[k] - '0');
			if (n > 63) {
				sv_buf_printf(err, "match variable ${%.*s} is beyond the limit of 63",
					      (int)(inlen > 10 ? 10 : inlen), in);
				return false;
			}
			if (vis->match)
				vis->match(vis->ctx, (unsigned)n);
		} else if (dot == (size_t)-1) {
			if (vis->var)
				vis->var(vis->ctx, in, inlen);
		} else {
			/* ${ns.name}: the namespace is everything before the last dot */
			const struct sv_ext_def *found = NULL;
			const struct sv_namespace_def *ns = NULL;
			unsigned nsidx = 0;
			for (size_t k = 0; k < v->norder && !ns; k++) {
				const struct sv_ext_def *e = v->order[k];
				for (unsigned j = 0; e->namespaces && e->namespaces[j]; j++) {
					const char *nn = e->namespaces[j]->name;
					size_t nl = strlen(nn);
					if (nl < dot && sv_ascii_ieq(nn, nl, in, nl) && in[nl] == '.') {
						ns = e->namespaces[j];
						found = e;
						nsidx = j;
						break;
					}
					if (nl == dot && sv_ascii_ieq(nn, nl, in, nl)) {
						ns = e->namespaces[j];
						found = e;
						nsidx = j;
						break;
					}
				}
			}
			if (!ns) {
				sv_buf_printf(err, "unknown variable namespace in '${%.*s}'",
					      (int)(inlen > 64 ? 64 : inlen), in);
				return false;
			}
			size_t nl = strlen(ns->name);
			const char *name = in + nl + 1;
			size_t namelen = inlen - nl - 1;
			if (ns->check && !ns->check(name, namelen, false, err))
				return false;
			if (vis->ns)
				vis->ns(vis->ctx, found, nsidx, ns, name, namelen);
		}
		i = (size_t)(close - s) + 1;
		lit = i;
	}
	if (len > lit && vis->lit)
		vis->lit(vis->ctx, s + lit, len - lit);
	return true;
}

static void note_var(void *ctx, const char *name, size_t len)
{
	struct sv_validator *v = ctx;
	sv_validator_var(v, name, len, (struct sv_loc){0, 0, 0});
}

/* ${global.x}: a variable of the script named "global.x" */
static void note_ns_var(void *ctx, const struct sv_ext_def *ext, unsigned nsidx,
			const struct sv_namespace_def *ns, const char *name, size_t len)
{
	(void)ext;
	(void)nsidx;
	if (!ns->variables)
		return;
	struct sv_validator *v = ctx;
	struct sv_buf full = SV_BUF_INIT;
	sv_buf_printf(&full, "%s.", ns->name);
	sv_buf_append(&full, name, len);
	sv_validator_var(v, full.p, full.len, (struct sv_loc){0, 0, 0});
	sv_buf_free(&full);
}

bool sv_validator_assignable(const struct sv_validator *v, const char *name, size_t len)
{
	if (sv_var_name_valid(name, len))
		return true;
	const char *dot = memchr(name, '.', len);
	if (!dot)
		return false;
	size_t nl = (size_t)(dot - name);
	for (size_t k = 0; k < v->norder; k++) {
		const struct sv_ext_def *e = v->order[k];
		for (unsigned j = 0; e->namespaces && e->namespaces[j]; j++) {
			const struct sv_namespace_def *ns = e->namespaces[j];
			if (!ns->variables || strlen(ns->name) != nl ||
			    !sv_ascii_ieq(ns->name, nl, name, nl))
				continue;
			struct sv_buf err = SV_BUF_INIT;
			bool ok = sv_var_name_valid(dot + 1, len - nl - 1) &&
				  (!ns->check || ns->check(dot + 1, len - nl - 1, true, &err));
			sv_buf_free(&err);
			return ok;
		}
	}
	return false;
}

static bool check_template(struct sv_validator *v, const struct sv_ast_str *s)
{
	if (!v->templates || !memchr(s->s, '$', s->len))
		return true;
	struct sv_tpl_visitor vis = {.var = note_var, .ns = note_ns_var, .ctx = v};
	struct sv_buf err = SV_BUF_INIT;
	bool ok = sv_tpl_scan(v, s->s, s->len, &vis, &err);
	if (!ok)
		sv_validator_error(v, s->loc, "%s", err.p);
	sv_buf_free(&err);
	return ok;
}

/* ---- encoded-character (RFC 5228 §2.4.2.4) ---- */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = sv_ascii_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool is_blank(const char *p, size_t len, size_t *i)
{
	if (*i < len && (p[*i] == ' ' || p[*i] == '\t')) {
		(*i)++;
		return true;
	}
	if (*i + 1 < len && p[*i] == '\r' && p[*i + 1] == '\n') {
		*i += 2;
		return true;
	}
	if (*i < len && p[*i] == '\n') {
		(*i)++;
		return true;
	}
	return false;
}

/* Decode "${hex:..}" or "${unicode:..}" body into out; 0 not an encoding,
 * 1 decoded, -1 error (bad code point). */
static int decode_encoding(const char *p, size_t len, bool unicode, struct sv_buf *out)
{
	size_t i = 0, count = 0;
	while (is_blank(p, len, &i))
		;
	while (i < len) {
		size_t start = i;
		uint32_t v = 0;
		size_t digits = 0;
		while (i < len && hexval((unsigned char)p[i]) >= 0) {
			if (v > 0x10ffff && unicode)
				v = 0x110000;
			else
				v = v * 16 + (uint32_t)hexval((unsigned char)p[i]);
			digits++;
			i++;
		}
		if (digits == 0)
			return 0;
		if (unicode) {
			if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
				return -1;
			char u[4];
			size_t n = sv_utf8_encode(v, u);
			sv_buf_append(out, u, n);
		} else {
			/* hex-pair = 1*2HEXDIG: "${hex:4}" is 0x04, "${hex:400}" no
			   encoding at all (it stays as written) */
			if (digits > 2)
				return 0;
			unsigned v8 = 0;
			for (size_t k = start; k < i; k++)
				v8 = v8 * 16 + (unsigned)hexval((unsigned char)p[k]);
			sv_buf_putc(out, (char)v8);
		}
		count++;
		if (i == len)
			break;
		if (!is_blank(p, len, &i))
			return 0;
		while (is_blank(p, len, &i))
			;
	}
	return count ? 1 : 0;
}

static void decode_encoded_chars(struct sv_validator *v, struct sv_ast_str *s)
{
	if (!memchr(s->s, '$', s->len))
		return;
	struct sv_buf out = SV_BUF_INIT, tmp = SV_BUF_INIT;
	size_t i = 0;
	bool changed = false;
	while (i < s->len) {
		if (s->s[i] == '$' && i + 1 < s->len && s->s[i + 1] == '{') {
			const char *close = memchr(s->s + i + 2, '}', s->len - i - 2);
			const char *in = s->s + i + 2;
			size_t rest = s->len - i - 2;
			bool hex = rest >= 4 && sv_ascii_ieq(in, 4, "hex:", 4);
			bool uni = rest >= 8 && sv_ascii_ieq(in, 8, "unicode:", 8);
			if (close && (hex || uni)) {
				size_t skip = hex ? 4 : 8;
				sv_buf_reset(&tmp);
				int r = decode_encoding(in + skip, (size_t)(close - in) - skip, uni, &tmp);
				if (r < 0) {
					sv_validator_error(v, s->loc,
							   "invalid unicode character in encoded-character");
				} else if (r > 0) {
					sv_buf_append(&out, tmp.p, tmp.len);
					i = (size_t)(close - s->s) + 1;
					changed = true;
					continue;
				}
			}
		}
		sv_buf_putc(&out, s->s[i]);
		i++;
	}
	if (changed) {
		s->s = sv_arena_strndup(v->arena, out.p ? out.p : "", out.len);
		s->len = out.len;
	}
	sv_buf_free(&out);
	sv_buf_free(&tmp);
}

static void walk_strings(struct sv_validator *v, struct sv_ast_node *n);

static void walk_strings_one(struct sv_validator *v, struct sv_ast_node *n)
{
	if (!streq(n->id, "require"))
		for (struct sv_ast_arg *a = n->args; a; a = a->next)
			for (size_t i = 0; i < a->nstrs; i++)
				decode_encoded_chars(v, &a->strs[i]);
	walk_strings(v, n->tests);
	walk_strings(v, n->block);
}

static void walk_strings(struct sv_validator *v, struct sv_ast_node *n)
{
	for (; n; n = n->next)
		walk_strings_one(v, n);
}

/* ---- name index ----
 *
 * Every command, attached tag, match type and address part of the
 * registry by name, built once: a name's entries are kept in the order a
 * walk over the registry meets them, so a lookup that takes the first
 * entry passing its filters finds what that walk would find.
 */

struct name_ent {
	const struct sv_ext_def *ext;
	const void *def;   /* sv_cmd_def, sv_tag_def, sv_match_def or sv_addrpart_def */
	unsigned k;        /* index in the extension's array */
	char kind;         /* 'c' command, 't' attached tag, 'm' match type, 'a' address part */
	int next;          /* next entry of the same name and family, -1: none */
};

struct name_slot {
	const char *name;
	int head[3], tail[3]; /* commands, tags, families (match types, address parts) */
};

#define NAME_SLOTS 512
#define NAME_ENTS 1024

static struct name_index {
	struct name_slot slots[NAME_SLOTS];
	struct name_ent ents[NAME_ENTS];
	int nents;
	bool overflow; /* too many names for the arrays: a build error */
} name_index;
static int name_index_state; /* 0 none, 1 being built, 2 ready */

/* From the first three bytes: cheap, and enough to spread the few dozen
 * names of the registry. */
static size_t name_hash(const char *s)
{
	size_t h = (unsigned char)s[0];
	if (s[0]) {
		h = h * 131 + (unsigned char)s[1];
		if (s[1])
			h = h * 131 + (unsigned char)s[2];
	}
	return h ^ (h >> 7);
}

static struct name_slot *name_slot(struct name_index *x, const char *name, bool add)
{
	size_t k = name_hash(name) & (NAME_SLOTS - 1);
	for (size_t probes = 0; probes < NAME_SLOTS; probes++) {
		struct name_slot *sl = &x->slots[k];
		if (!sl->name) {
			if (!add)
				return NULL;
			sl->name = name;
			for (int f = 0; f < 3; f++)
				sl->head[f] = sl->tail[f] = -1;
			return sl;
		}
		if (streq(sl->name, name))
			return sl;
		k = (k + 1) & (NAME_SLOTS - 1);
	}
	return NULL;
}

static void name_add(struct name_index *x, const char *name, int fam, char kind,
		     const struct sv_ext_def *e, const void *def, unsigned k)
{
	struct name_slot *sl = name_slot(x, name, true);
	if (!sl || x->nents >= NAME_ENTS) {
		x->overflow = true;
		return;
	}
	int i = x->nents++;
	x->ents[i] = (struct name_ent){e, def, k, kind, -1};
	if (sl->tail[fam] >= 0)
		x->ents[sl->tail[fam]].next = i;
	else
		sl->head[fam] = i;
	sl->tail[fam] = i;
}

static void name_index_build(struct name_index *x)
{
	for (size_t i = 0; i < sv_ext_count(); i++) {
		const struct sv_ext_def *e = sv_ext_at(i);
		for (unsigned k = 0; e->commands && e->commands[k].id; k++)
			name_add(x, e->commands[k].id, 0, 'c', e, &e->commands[k], k);
		for (unsigned k = 0; e->tags && e->tags[k].name; k++)
			name_add(x, e->tags[k].name, 1, 't', e, &e->tags[k], k);
		for (unsigned k = 0; e->match_types && e->match_types[k]; k++)
			name_add(x, e->match_types[k]->name, 2, 'm', e, e->match_types[k], k);
		for (unsigned k = 0; e->addrparts && e->addrparts[k]; k++)
			name_add(x, e->addrparts[k]->name, 2, 'a', e, e->addrparts[k], k);
	}
}

/* The index, or NULL when the registry does not fit in it. */
static const struct name_index *names(void)
{
	int st = __atomic_load_n(&name_index_state, __ATOMIC_ACQUIRE);
	if (st != 2) {
		int zero = 0;
		if (__atomic_compare_exchange_n(&name_index_state, &zero, 1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			name_index_build(&name_index);
			__atomic_store_n(&name_index_state, 2, __ATOMIC_RELEASE);
		} else {
			while (__atomic_load_n(&name_index_state, __ATOMIC_ACQUIRE) != 2)
				;
		}
	}
	if (name_index.overflow) {
		/* the registry outgrew NAME_SLOTS/NAME_ENTS: a build error that
		   the first compile of any test reveals */
		fprintf(stderr, "sift: internal error: the name index is too small for the registry\n");
		abort();
	}
	return &name_index;
}

/* The first entry of a name in family fam (0 commands, 1 tags, 2 match
 * types and address parts), -1 when none; *x_r the index. */
static int name_first(const char *name, int fam, const struct name_index **x_r)
{
	const struct name_index *x = names();
	*x_r = x;
	struct name_slot *sl = name_slot((struct name_index *)x, name, false);
	return sl ? sl->head[fam] : -1;
}

/* ---- lookups ---- */

/* After a require was lost to a syntax error any extension may have been
 * required, so none is said to be missing (one mistake, not one per use);
 * hidden ones stay hidden. Nothing is generated after a syntax error. */
static bool enabled_ext(const struct sv_validator *v, const struct sv_ext_def *e)
{
	return v->enabled[e->index] || (v->lost_require && !e->hidden);
}

static const struct sv_cmd_def *find_cmd(const struct sv_validator *v, const char *id,
					 bool enabled_only, const struct sv_ext_def **ext_r,
					 enum sv_cmd_kind kind, bool any_kind)
{
	const struct name_index *x;
	for (int j = name_first(id, 0, &x); j >= 0; j = x->ents[j].next) {
		const struct sv_ext_def *e = x->ents[j].ext;
		const struct sv_cmd_def *c = x->ents[j].def;
		if (enabled_only && !enabled_ext(v, e))
			continue;
		if (e->hidden && !enabled_ext(v, e) && !enabled_only)
			continue;
		if (any_kind || c->kind == kind) {
			*ext_r = e;
			return c;
		}
	}
	return NULL;
}

static struct sv_vtag *add_vtag(struct sv_validator *v, struct sv_vnode *vn, struct sv_ast_arg *tag)
{
	if (vn->ntags >= vn->captags) {
		sv_validator_error(v, tag->loc, "too many tagged arguments");
		return NULL;
	}
	struct sv_vtag *t = &vn->tags[vn->ntags++];
	memset(t, 0, sizeof *t);
	t->tag = tag;
	return t;
}

static bool family_taken(struct sv_vnode *vn, char family, struct sv_vtag *self)
{
	for (size_t i = 0; i < vn->ntags; i++)
		if (&vn->tags[i] != self && vn->tags[i].family == family)
			return true;
	return false;
}

static const char *kind_name(char k)
{
	switch (k) {
	case 's': return "a string";
	case 'l': return "a string list";
	case 'n': return "a number";
	default: return "a value";
	}
}

/* limits.h max-list-size: one string list may hold that many strings */
static bool list_size_ok(struct sv_validator *v, const struct sv_ast_arg *a)
{
	if (a->kind != SV_AST_STRLIST || a->nstrs <= v->settings->max_list_size)
		return true;
	sv_validator_error(v, a->loc, "string list of %zu items is longer than the limit of %llu",
			   a->nstrs, (unsigned long long)v->settings->max_list_size);
	return false;
}

static bool arg_fits(const struct sv_ast_arg *a, char k)
{
	switch (k) {
	case 's': return a->kind == SV_AST_STRING;
	case 'l': return a->kind == SV_AST_STRING || a->kind == SV_AST_STRLIST;
	case 'n': return a->kind == SV_AST_NUMBER;
	}
	return false;
}

/* Record a match type or address part tag (the k-th of e's): its
 * extension must be required, and a command takes one of each family. */
static struct sv_vtag *family_tag(struct sv_validator *v, const struct sv_cmd_def *cmd,
				  struct sv_vnode *vn, struct sv_ast_arg *a,
				  const struct sv_ext_def *e, unsigned k, char family)
{
	const char *what = family == 'm' ? "match type" : "address part";
	if (!enabled_ext(v, e)) {
		sv_validator_error(v, a->loc, "%s ':%s' needs require \"%s\"", what, a->tag,
				   e->name);
		return NULL;
	}
	struct sv_vtag *t = add_vtag(v, vn, a);
	if (!t)
		return NULL;
	t->family = family;
	t->fext = e;
	t->fidx = k;
	if (family_taken(vn, family, t)) {
		sv_validator_error(v, a->loc, "more than one %s given to %s", what, cmd->id);
		return NULL;
	}
	return t;
}

/* A match type tag (m, the k-th of e's); a relational one takes its
 * relation argument. Returns 1 when handled, -1 on error. */
static int family_match(struct sv_validator *v, const struct sv_cmd_def *cmd,
			struct sv_vnode *vn, struct sv_ast_arg **argp,
			const struct sv_ext_def *e, unsigned k, const struct sv_match_def *m)
{
	struct sv_ast_arg *a = *argp;
	struct sv_vtag *t = family_tag(v, cmd, vn, a, e, k, 'm');
	if (!t)
		return -1;
	if (m->relation) {
		struct sv_ast_arg *val = a->next;
		if (!val || val->kind != SV_AST_STRING) {
			sv_validator_error(v, a->loc,
					   "':%s' needs a relation argument (\"gt\", \"ge\", \"lt\", \"le\", \"eq\" or \"ne\")",
					   a->tag);
			return -1;
		}
		int rel = sv_relation_parse(val->strs[0].s, val->strs[0].len);
		*argp = val; /* consumed, valid or not */
		if (rel < 0) {
			sv_validator_error(v, val->loc, "invalid relation '%s' for ':%s'",
					   sv_validator_quote(v, val->strs[0].s, val->strs[0].len),
					   a->tag);
			return -1;
		}
		t->rel = (unsigned)rel;
		t->value = val;
	}
	return 1;
}

/* An address part tag (the k-th of e's). */
static int family_addrpart(struct sv_validator *v, const struct sv_cmd_def *cmd,
			   struct sv_vnode *vn, struct sv_ast_arg **argp,
			   const struct sv_ext_def *e, unsigned k)
{
	return family_tag(v, cmd, vn, *argp, e, k, 'a') ? 1 : -1;
}

/* Try the comparator/match-type/address-part families. Returns 1 when the
 * tag is one of them (handled), 0 when not, -1 on error. */
static int try_family(struct sv_validator *v, struct sv_ast_node *n, const struct sv_cmd_def *cmd,
		      struct sv_vnode *vn, struct sv_ast_arg **argp)
{
	struct sv_ast_arg *a = *argp;
	const char *name = a->tag;
	if ((cmd->flags & SV_CMDF_COMPARATOR) && streq(name, "comparator")) {
		struct sv_vtag *t = add_vtag(v, vn, a);
		if (!t)
			return -1;
		t->family = 'c';
		struct sv_ast_arg *val = a->next;
		if (!val || val->kind != SV_AST_STRING) {
			sv_validator_error(v, a->loc, "':comparator' needs a string argument");
			return -1;
		}
		*argp = val;
		t->value = val;
		if (family_taken(vn, 'c', t)) {
			sv_validator_error(v, a->loc, "more than one comparator given to %s", cmd->id);
			return -1;
		}
		struct sv_ext_def *ce;
		unsigned idx;
		const struct sv_cmp_def *c =
			sv_ext_find_comparator(val->strs[0].s, val->strs[0].len, &ce, &idx);
		if (!c) {
			sv_validator_error(v, val->loc, "unknown comparator '%s'",
					   sv_validator_quote(v, val->strs[0].s, val->strs[0].len));
			return -1;
		}
		if (!enabled_ext(v, ce)) {
			sv_validator_error(v, val->loc,
					   "comparator '%s' needs require \"%s\"", c->name, ce->name);
			return -1;
		}
		t->fext = ce;
		t->fidx = idx;
		return 1;
	}
	const struct name_index *x;
	for (int j = name_first(name, 2, &x); j >= 0; j = x->ents[j].next) {
		const struct name_ent *ne = &x->ents[j];
		if (ne->kind == 'm' && (cmd->flags & SV_CMDF_MATCH))
			return family_match(v, cmd, vn, argp, ne->ext, ne->k, ne->def);
		if (ne->kind == 'a' && (cmd->flags & SV_CMDF_ADDRPART))
			return family_addrpart(v, cmd, vn, argp, ne->ext, ne->k);
	}
	return 0;
}

static bool attaches_to(const struct sv_tag_def *t, const char *id)
{
	for (size_t i = 0; t->attach && t->attach[i]; i++)
		if (strcmp(t->attach[i], id) == 0)
			return true;
	return false;
}

static const struct sv_tag_def *find_tag(struct sv_validator *v, const struct sv_cmd_def *cmd,
					 const struct sv_ext_def *cext, const char *name,
					 const struct sv_ext_def **ext_r, const struct sv_ext_def **missing_r)
{
	for (size_t i = 0; cmd->tags && cmd->tags[i].name; i++)
		if (strcmp(cmd->tags[i].name, name) == 0) {
			*ext_r = cext;
			return &cmd->tags[i];
		}
	const struct name_index *x;
	for (int j = name_first(name, 1, &x); j >= 0; j = x->ents[j].next) {
		const struct sv_ext_def *e = x->ents[j].ext;
		const struct sv_tag_def *t = x->ents[j].def;
		if (!attaches_to(t, cmd->id))
			continue;
		if (!enabled_ext(v, e)) {
			if (!e->hidden)
				*missing_r = e;
			continue;
		}
		*ext_r = e;
		return t;
	}
	return NULL;
}

static bool check_args(struct sv_validator *v, struct sv_ast_node *n, const struct sv_cmd_def *cmd,
		       const struct sv_ext_def *cext)
{
	struct sv_vnode *vn = sv_arena_alloc(v->arena, sizeof *vn);
	size_t ntagargs = 0;
	for (struct sv_ast_arg *t = n->args; t; t = t->next)
		ntagargs += t->kind == SV_AST_TAG;
	vn->captags = ntagargs < SV_MAX_TAGS ? ntagargs : SV_MAX_TAGS;
	if (vn->captags)
		vn->tags = sv_arena_array(v->arena, vn->captags, sizeof *vn->tags);
	vn->ext = cext;
	vn->cmd = cmd;
	n->vdata = vn;
	n->def = cmd;
	bool ok = true;
	const char *what = cmd->kind == SV_CMD_TEST ? "test" : "command";
	struct sv_ast_arg *a = n->args;
	for (; a && a->kind == SV_AST_TAG; a = a->next) {
		int fam = try_family(v, n, cmd, vn, &a);
		if (fam < 0) {
			ok = false;
			continue;
		}
		if (fam > 0)
			continue;
		const struct sv_ext_def *te = NULL, *missing = NULL;
		const struct sv_tag_def *td = find_tag(v, cmd, cext, a->tag, &te, &missing);
		if (!td) {
			if (missing)
				sv_validator_error(v, a->loc,
						   "tagged argument ':%s' of the %s %s needs require \"%s\"",
						   a->tag, cmd->id, what, missing->name);
			else
				sv_validator_error(v, a->loc, "unknown tagged argument ':%.64s' for the %s %s",
						   a->tag, cmd->id, what);
			ok = false;
			continue;
		}
		for (size_t i = 0; i < vn->ntags; i++) {
			const struct sv_vtag *o = &vn->tags[i];
			if (o->def == td) {
				sv_validator_error(v, a->loc, "tagged argument ':%s' given twice", a->tag);
				ok = false;
			} else if (o->def && td->group && o->ext == te && o->def->group == td->group) {
				sv_validator_error(v, a->loc,
						   "tagged arguments ':%s' and ':%s' of the %s %s exclude each other",
						   o->tag->tag, a->tag, cmd->id, what);
				ok = false;
			}
		}
		struct sv_vtag *t = add_vtag(v, vn, a);
		if (!t) {
			ok = false;
			continue;
		}
		t->def = td;
		t->ext = te;
		struct sv_ast_arg *tagarg = a;
		if (td->value) {
			struct sv_ast_arg *val = a->next;
			if (!val || !arg_fits(val, td->value)) {
				sv_validator_error(v, a->loc, "':%s' needs %s argument", a->tag,
						   kind_name(td->value));
				ok = false;
				continue;
			}
			t->value = val;
			a = val;
			ok = list_size_ok(v, val) && ok;
			for (size_t i = 0; i < val->nstrs; i++)
				ok = check_template(v, &val->strs[i]) && ok;
		}
		if (td->validate && !td->validate(v, n, tagarg, t->value))
			ok = false;
	}
	/* positional arguments */
	const char *sig = cmd->sig;
	size_t required = 0;
	while (sig[required] && sig[required] != '?')
		required++;
	size_t npos = 0;
	const char *s = sig;
	for (; a; a = a->next) {
		if (a->kind == SV_AST_TAG) {
			sv_validator_error(v, a->loc,
					   "tagged argument ':%s' after positional arguments of the %s %s",
					   a->tag, cmd->id, what);
			ok = false;
			continue;
		}
		if (*s == '?')
			s++;
		if (!*s) {
			sv_validator_error(v, a->loc, "too many arguments for the %s %s", cmd->id, what);
			ok = false;
			break;
		}
		if (!arg_fits(a, *s)) {
			sv_validator_error(v, a->loc, "argument %zu of the %s %s must be %s", npos + 1,
					   cmd->id, what, kind_name(*s));
			ok = false;
		}
		ok = list_size_ok(v, a) && ok;
		if (npos < 8)
			vn->pos[npos] = a;
		npos++;
		s++;
		if (cmd->flags & SV_CMDF_CONTROL)
			continue;
		for (size_t i = 0; i < a->nstrs; i++)
			ok = check_template(v, &a->strs[i]) && ok;
	}
	vn->npos = npos < 8 ? npos : 8;
	if (ok && npos < required) {
		sv_validator_error(v, n->loc, "the %s %s needs %zu argument%s, %zu given", cmd->id,
				   what, required, required == 1 ? "" : "s", npos);
		ok = false;
	}
	if (!ok)
		return false;
	/* match type and comparator must suit each other, keys must be sane */
	const struct sv_vtag *mt = NULL, *cmp = NULL;
	for (size_t i = 0; i < vn->ntags; i++) {
		if (vn->tags[i].family == 'm')
			mt = &vn->tags[i];
		if (vn->tags[i].family == 'c')
			cmp = &vn->tags[i];
	}
	if (cmd->flags & SV_CMDF_MATCH) {
		const struct sv_match_def *m = mt ? mt->fext->match_types[mt->fidx] : NULL;
		const struct sv_cmp_def *c = cmp ? cmp->fext->comparators[cmp->fidx] : NULL;
		bool allowed = true;
		if (m && c && m->comparators) {
			allowed = false;
			for (size_t i = 0; m->comparators[i]; i++)
				allowed = allowed || m->comparators[i] == c;
		}
		if (m && c && (!allowed || (m->needs_contains && !c->contains) ||
			       (m->needs_glob && !c->char_eq))) {
			sv_validator_error(v, mt->tag->loc,
					   "comparator '%s' cannot be used with match type ':%s'",
					   c->name, m->name);
			return false;
		}
		if (m && m->check_key && vn->npos > 0) {
			struct sv_ast_arg *keys = vn->pos[vn->npos - 1];
			for (size_t i = 0; i < keys->nstrs; i++) {
				const struct sv_ast_str *k = &keys->strs[i];
				/* RFC 5229 §3: only "${" can start a reference; a
				   regex's "$" anchor leaves the key literal, checked */
				if (v->templates && memmem(k->s, k->len, "${", 2))
					continue;
				struct sv_buf err = SV_BUF_INIT;
				if (!m->check_key(k->s, k->len, v->settings, &err)) {
					sv_validator_error(v, k->loc, "%s", err.p ? err.p : "invalid key");
					ok = false;
				}
				sv_buf_free(&err);
			}
		}
	}
	return ok;
}

/* ---- walking ---- */

static bool validate_test(struct sv_validator *v, struct sv_ast_node *t);
static void validate_block(struct sv_validator *v, struct sv_ast_node *list);

/* 1 true, 0 false, -1 not known at compile time. A test with errors
 * (no notes) is not known. */
static int const_value(struct sv_validator *v, const struct sv_ast_node *t)
{
	if (streq(t->id, "true") && !t->args && !t->tests)
		return 1;
	if (streq(t->id, "false") && !t->args && !t->tests)
		return 0;
	if (streq(t->id, "not") && t->ntests == 1 && !t->test_list) {
		int c = const_value(v, t->tests);
		return c < 0 ? -1 : !c;
	}
	if (streq(t->id, "allof") && t->test_list) {
		bool all_true = true;
		for (const struct sv_ast_node *s = t->tests; s; s = s->next) {
			int c = const_value(v, s);
			if (c == 0)
				return 0;
			if (c < 0)
				all_true = false;
		}
		return all_true ? 1 : -1;
	}
	if (streq(t->id, "anyof") && t->test_list) {
		bool all_false = true;
		for (const struct sv_ast_node *s = t->tests; s; s = s->next) {
			int c = const_value(v, s);
			if (c == 1)
				return 1;
			if (c < 0)
				all_false = false;
		}
		return all_false ? 0 : -1;
	}
	const struct sv_vnode *vn = sv_vnode(t);
	if (vn && vn->cmd && vn->cmd->const_eval)
		return vn->cmd->const_eval(v, t);
	return -1;
}

int sv_validator_const_value(struct sv_validator *v, const struct sv_ast_node *t)
{
	return const_value(v, t);
}

/* Does a test known at compile time owe its value to a capability this
 * implementation lacks (a const_eval hook, ihave, that said false)? Only
 * such a block may hold what cannot be validated here (RFC 5463 §4); code
 * that is dead for other reasons (if false, the links after if true) must
 * still be valid Sieve (RFC 5228 §2.10.5, §3.2), it is only not
 * generated. */
static bool missing_capability(struct sv_validator *v, const struct sv_ast_node *t)
{
	if ((streq(t->id, "not") || streq(t->id, "anyof") || streq(t->id, "allof")) &&
	    !t->args) {
		for (const struct sv_ast_node *s = t->tests; s; s = s->next)
			if (missing_capability(v, s))
				return true;
		return false;
	}
	const struct sv_vnode *vn = sv_vnode(t);
	return vn && vn->cmd && vn->cmd->const_eval && vn->cmd->const_eval(v, t) == 0;
}

/* ---- extensions a test makes available in its block (RFC 5463 §4) ---- */

void sv_validator_enable(struct sv_validator *v, struct sv_ext_def *e)
{
	if (!v->enabled[e->index]) {
		v->enabled[e->index] = true;
		v->order[v->norder++] = e;
	}
	for (size_t k = 0; e->implies && e->implies[k]; k++) {
		struct sv_ext_def *ie = sv_ext_find(e->implies[k], strlen(e->implies[k]));
		if (ie && !v->enabled[ie->index]) {
			v->enabled[ie->index] = true;
			v->order[v->norder++] = ie;
		}
	}
	if (e->on_require)
		e->on_require(v);
}

/* The tests whose truth the block's entry guarantees: t itself, and the
 * members of an allof (a not or an anyof guarantees none of its own). */
static void scope_collect(struct sv_validator *v, const struct sv_ast_node *t, bool *any)
{
	const struct sv_vnode *vn = sv_vnode(t);
	if (streq(t->id, "allof") && t->test_list) {
		for (const struct sv_ast_node *s = t->tests; s; s = s->next)
			scope_collect(v, s, any);
		return;
	}
	if (!vn)
		return;
	for (size_t i = 0; i < vn->nimplies; i++) {
		if (v->enabled[vn->implies[i]->index])
			continue;
		*any = true;
		sv_validator_enable(v, vn->implies[i]);
	}
}

/* Would scope_collect enable anything? (Almost no block needs a scope:
 * only one under an ihave does, so the common case allocates nothing.) */
static bool scope_needed(const struct sv_validator *v, const struct sv_ast_node *t)
{
	if (streq(t->id, "allof") && t->test_list) {
		for (const struct sv_ast_node *s = t->tests; s; s = s->next)
			if (scope_needed(v, s))
				return true;
		return false;
	}
	const struct sv_vnode *vn = sv_vnode(t);
	for (size_t i = 0; vn && i < vn->nimplies; i++)
		if (!v->enabled[vn->implies[i]->index])
			return true;
	return false;
}

void sv_validator_scope_enter(struct sv_validator *v, const struct sv_ast_node *t,
			      struct sv_vscope *sc)
{
	size_t n = sv_ext_count();
	sc->active = false;
	sc->enabled = NULL;
	if (!t || !scope_needed(v, t))
		return;
	bool *saved = sv_malloc(n * sizeof *saved);
	memcpy(saved, v->enabled, n * sizeof *saved);
	sc->norder = v->norder;
	sc->templates = v->templates;
	sc->encoded_chars = v->encoded_chars;
	bool any = false;
	scope_collect(v, t, &any);
	if (!any) {
		sv_free(saved);
		return;
	}
	sc->enabled = saved;
	sc->active = true;
}

void sv_validator_scope_leave(struct sv_validator *v, struct sv_vscope *sc)
{
	if (!sc->active)
		return;
	memcpy(v->enabled, sc->enabled, sv_ext_count() * sizeof *v->enabled);
	v->norder = sc->norder;
	v->templates = sc->templates;
	v->encoded_chars = sc->encoded_chars;
	sv_free(sc->enabled);
	sc->enabled = NULL;
	sc->active = false;
}

static bool offered(const struct sv_validator *v, const struct sv_ext_def *e);

bool sv_validator_offers(const struct sv_validator *v, const char *name, size_t len)
{
	return offered(v, sv_ext_find(name, len));
}

static bool lookup(struct sv_validator *v, struct sv_ast_node *n, enum sv_cmd_kind kind,
		   const struct sv_cmd_def **cmd_r, const struct sv_ext_def **ext_r)
{
	const char *what = kind == SV_CMD_TEST ? "test" : "command";
	const struct sv_cmd_def *c = find_cmd(v, n->id, true, ext_r, kind, false);
	if (c) {
		*cmd_r = c;
		return true;
	}
	const struct sv_ext_def *e;
	c = find_cmd(v, n->id, true, &e, kind, true);
	if (c) {
		sv_validator_error(v, n->loc, "'%s' is a %s, not a %s", n->id,
				   c->kind == SV_CMD_TEST ? "test" : "command", what);
		return false;
	}
	c = find_cmd(v, n->id, false, &e, kind, false);
	if (c && !e->hidden) {
		sv_validator_error(v, n->loc, "the %s %s needs require \"%s\"", n->id, what,
				   e->name);
		return false;
	}
	sv_validator_error(v, n->loc, "unknown %s '%.64s'", what, n->id);
	return false;
}

static bool validate_test(struct sv_validator *v, struct sv_ast_node *t)
{
	const struct sv_cmd_def *cmd;
	const struct sv_ext_def *ext;
	if (!lookup(v, t, SV_CMD_TEST, &cmd, &ext))
		return false;
	bool ok = check_args(v, t, cmd, ext);
	switch (cmd->subtests) {
	case SV_SUBTESTS_NONE:
		if (t->ntests) {
			sv_validator_error(v, t->tests->loc, "the %s test takes no tests", cmd->id);
			return false;
		}
		break;
	case SV_SUBTESTS_ONE:
		if (t->ntests != 1 || t->test_list) {
			sv_validator_error(v, t->loc, "the %s test needs exactly one test", cmd->id);
			return false;
		}
		break;
	case SV_SUBTESTS_LIST:
		if (!t->test_list) {
			sv_validator_error(v, t->loc, "the %s test needs a test list in parentheses",
					   cmd->id);
			return false;
		}
		break;
	}
	for (struct sv_ast_node *s = t->tests; s; s = s->next)
		ok = validate_test(v, s) && ok;
	if (ok && cmd->validate)
		ok = cmd->validate(v, t);
	return ok;
}

static bool offered(const struct sv_validator *v, const struct sv_ext_def *e)
{
	if (!e)
		return false;
	if (e->always || !e->hidden)
		return true;
	for (size_t k = 0; v->offered && v->offered[k]; k++)
		if (strcmp(v->offered[k], e->name) == 0)
			return true;
	return false;
}

/* Unknown names of a require's list from index `from` on. */
static size_t count_unknown(const struct sv_validator *v, const struct sv_ast_arg *list,
			    size_t from)
{
	size_t n = 0;
	for (size_t i = from; i < list->nstrs; i++)
		n += !offered(v, sv_ext_find(list->strs[i].s, list->strs[i].len));
	return n;
}

/* Unknown capabilities one require names before it only counts them. */
enum { REQUIRE_UNKNOWN_SHOWN = 5 };

static void do_require(struct sv_validator *v, struct sv_ast_node *n)
{
	if (v->seen_non_require || v->depth > 0) {
		sv_validator_error(v, n->loc, "require must come before any other command");
		return;
	}
	if (n->ntests || n->has_block) {
		sv_validator_error(v, n->loc, "require takes a string list and ends with ';'");
		return;
	}
	if (n->nargs != 1 || (n->args->kind != SV_AST_STRING && n->args->kind != SV_AST_STRLIST)) {
		sv_validator_error(v, n->loc, "require needs one string list of capabilities");
		return;
	}
	size_t unknown = 0;
	for (size_t i = 0; i < n->args->nstrs; i++) {
		const struct sv_ast_str *s = &n->args->strs[i];
		struct sv_ext_def *e = sv_ext_find(s->s, s->len);
		if (e && e->always)
			continue;
		if (!offered(v, e)) {
			/* a few by name, then one count: a list of a thousand
			   unknown names is one mistake, not a thousand */
			if (unknown < REQUIRE_UNKNOWN_SHOWN)
				sv_validator_error(v, s->loc, "unknown extension '%s' in require",
						   sv_validator_quote(v, s->s, s->len));
			else if (unknown == REQUIRE_UNKNOWN_SHOWN)
				sv_validator_error(v, s->loc,
						   "%zu more unknown extensions in this require, from '%s'",
						   count_unknown(v, n->args, i),
						   sv_validator_quote(v, s->s, s->len));
			unknown++;
			continue;
		}
		sv_validator_enable(v, e);
	}
}

/* The name of a command and of no test (of any extension). */
static bool is_command_name(const struct sv_validator *v, const char *id)
{
	const struct sv_ext_def *e;
	return !find_cmd(v, id, false, &e, SV_CMD_TEST, false) &&
	       find_cmd(v, id, false, &e, SV_CMD_COMMAND, false);
}

/*
 * "if true keep;" parses as the test true with the test keep: a command
 * that needs a block and has none, whose last test goes on with the name
 * of a command, misses its braces. Only that is said (by the caller); the
 * command becomes the next one, validated as written.
 */
static void split_missing_block(struct sv_validator *v, struct sv_ast_node *n,
				const struct sv_cmd_def *cmd)
{
	if (cmd->block != SV_BLOCK_REQUIRED || n->has_block || n->ntests != 1 || n->test_list)
		return;
	for (struct sv_ast_node *t = n->tests; t->ntests == 1 && !t->test_list; t = t->tests) {
		struct sv_ast_node *c = t->tests;
		if (!is_command_name(v, c->id))
			continue;
		t->tests = NULL;
		t->ntests = 0;
		c->next = n->next;
		c->end = n->end;
		n->next = c;
		return;
	}
}

/*
 * RFC 5228 §8.2: "keep\ndiscard;" parses as the command keep with the test
 * discard. A command that takes no test followed by the name of a command
 * (and of no test) is a missing ';': said once, and the "test" becomes the
 * next command, with the block, so that it is validated as written and
 * nothing cascades.
 */
static void split_missing_semicolon(struct sv_validator *v, struct sv_ast_node *n)
{
	if (n->ntests != 1 || n->test_list)
		return;
	struct sv_ast_node *t = n->tests;
	const struct sv_ext_def *e;
	const struct sv_cmd_def *c = find_cmd(v, n->id, false, &e, SV_CMD_COMMAND, true);
	if ((c && (c->kind != SV_CMD_COMMAND || c->subtests != SV_SUBTESTS_NONE)) ||
	    !is_command_name(v, t->id))
		return;
	if (c)
		sv_validator_error(v, t->loc, "missing ';' before '%s' (the %s command takes no test)",
				   t->id, n->id);
	else /* unknown: that error is reported, and the ';' missing after it */
		sv_validator_error(v, t->loc, "missing ';' before '%s'", t->id);
	t->next = n->next;
	t->has_block = n->has_block;
	t->block = n->block;
	t->nblock = n->nblock;
	t->end = n->end;
	n->next = t;
	n->tests = NULL;
	n->ntests = 0;
	n->has_block = false;
	n->block = NULL;
	n->nblock = 0;
}

/* A command lost to a syntax error was reported by the parser: nothing
 * more is said about it, and an elsif or else after it is no mistake. */
static bool lost(struct sv_validator *v, const struct sv_ast_node *n)
{
	if (!n->broken)
		return false;
	if (streq(n->id, "require"))
		v->lost_require = true;
	return true;
}

static void validate_command(struct sv_validator *v, struct sv_ast_node *n,
			     struct sv_ast_node *prev)
{
	if (lost(v, n))
		return;
	split_missing_semicolon(v, n);
	if (streq(n->id, "require")) {
		do_require(v, n);
		return;
	}
	v->seen_non_require = true;
	const struct sv_cmd_def *cmd;
	const struct sv_ext_def *ext;
	bool found = lookup(v, n, SV_CMD_COMMAND, &cmd, &ext);
	bool ok = found;
	int cv = -1;
	bool link = found && ext == sv_ext_core() && (streq(cmd->id, "elsif") || streq(cmd->id, "else"));
	bool dead = false;
	if (link && prev && !prev->broken && prev->chain_true) {
		/* an earlier link of the chain is constant true: this one is
		   dead. Behind a missing capability it is not validated
		   either (RFC 5463 §4); otherwise it must still be valid. */
		if (prev->chain_guard) {
			n->skip = true;
			n->chain_true = true;
			n->chain_guard = true;
			return;
		}
		dead = true;
	}
	if (found) {
		split_missing_block(v, n, cmd);
		ok = check_args(v, n, cmd, ext);
		if ((streq(cmd->id, "elsif") || streq(cmd->id, "else")) &&
		    (!prev || (!prev->broken && !streq(prev->id, "if") && !streq(prev->id, "elsif")))) {
			sv_validator_error(v, n->loc, "%s without a preceding if", cmd->id);
			ok = false;
		}
		if ((cmd->flags & SV_CMDF_TOPLEVEL) && v->depth > 0) {
			sv_validator_error(v, n->loc, "the %s command is allowed only at the top level",
					   cmd->id);
			ok = false;
		}
		if (cmd->subtests == SV_SUBTESTS_ONE && (n->ntests != 1 || n->test_list)) {
			sv_validator_error(v, n->loc, "the %s command needs exactly one test", cmd->id);
			ok = false;
		} else if (cmd->subtests == SV_SUBTESTS_NONE && n->ntests) {
			sv_validator_error(v, n->tests->loc, "the %s command takes no test", cmd->id);
			ok = false;
		} else {
			for (struct sv_ast_node *t = n->tests; t; t = t->next)
				ok = validate_test(v, t) && ok;
			if (n->ntests == 1)
				cv = const_value(v, n->tests);
		}
		n->chain_true = cv == 1 && ext == sv_ext_core() &&
				(streq(cmd->id, "if") || streq(cmd->id, "elsif"));
		n->chain_guard = n->chain_true && missing_capability(v, n->tests);
		if (dead) {
			n->skip = true;
			n->chain_true = true;
			n->chain_guard = false;
		}
		if (cmd->block == SV_BLOCK_REQUIRED && !n->has_block) {
			sv_validator_error(v, n->loc, "the %s command needs a block", cmd->id);
			ok = false;
		} else if (cmd->block == SV_BLOCK_NONE && n->has_block) {
			sv_validator_error(v, n->loc, "the %s command takes no block", cmd->id);
			ok = false;
		}
		if (ok && cmd->validate)
			cmd->validate(v, n);
	}
	if (n->has_block) {
		if (cv == 0) {
			n->skip = true; /* constant false: not generated */
			if (missing_capability(v, n->tests))
				return; /* RFC 5463 §4: not validated either */
		}
		/* RFC 5463 §4: what ihave found is available in its block */
		struct sv_vscope sc;
		sv_validator_scope_enter(v, found && n->ntests == 1 ? n->tests : NULL, &sc);
		if (sc.active && v->encoded_chars && !sc.encoded_chars)
			walk_strings(v, n->block);
		v->depth++;
		validate_block(v, n->block);
		v->depth--;
		sv_validator_scope_leave(v, &sc);
	}
}

static void validate_block(struct sv_validator *v, struct sv_ast_node *list)
{
	struct sv_ast_node *prev = NULL;
	for (struct sv_ast_node *n = list; n; n = n->next) {
		validate_command(v, n, prev);
		prev = n;
	}
}

bool sv_validate_begin(struct sv_validator *v, const struct sv_validate_options *o)
{
	size_t n = sv_ext_count();
	v->enabled = sv_calloc(n, sizeof *v->enabled);
	v->order = sv_calloc(n + 1, sizeof *v->order);
	v->order[v->norder++] = sv_ext_core();
	v->enabled[sv_ext_core()->index] = true;
	v->offered = o ? o->extra : NULL;
	v->seen_non_require = false;
	return true;
}

void sv_validate_top(struct sv_validator *v, struct sv_ast_node *list,
		     struct sv_diags *decode_diags)
{
	/* no folding here: the streaming parser (sv_parse_top with a flush, the
	 * only source of these lists) has lowercased identifiers and tags */
	struct sv_ast_node *prev = NULL;
	for (struct sv_ast_node *c = list; c; c = c->next) {
		if (lost(v, c)) {
			prev = c;
			continue;
		}
		if (!v->seen_non_require && streq(c->id, "require")) {
			split_missing_semicolon(v, c);
			do_require(v, c);
			prev = c;
			continue;
		}
		if (v->encoded_chars) {
			struct sv_diags *d = v->diags;
			v->diags = decode_diags;
			walk_strings_one(v, c);
			v->diags = d;
		}
		validate_command(v, c, prev);
		prev = c;
	}
}
