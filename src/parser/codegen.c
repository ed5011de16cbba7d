/*
 * codegen.c: bytecode generation (see codegen.h).
 *
 * Jumps are emitted as five-byte (padded LEB128) operands so they can be
 * patched in place once their target is known. Constants are deduplicated
 * through a hash of their encoded form. Tests compile to "test; jump if
 * true/false": allof, anyof, not, true and false emit no instruction of
 * their own (RFC 5228 §5.2, §5.3, §5.8 short-circuit evaluation).
 */
#include "parser/codegen.h"

#include <string.h>

#include "lib/alloc.h"
#include "vm/binary.h"

/* Equal NUL-terminated strings (the first byte settles most). */
static inline bool streq(const char *a, const char *b)
{
	return a[0] == b[0] && strcmp(a, b) == 0;
}

enum { CORE_JMP = 0, CORE_JMPT = 1, CORE_JMPF = 2 };
#define JUMP_WIDTH 5

/* A slot of the pool's hash table: a constant's index and hash. The
 * constants are back to back in the pool buffer, from offs[index] to
 * offs[index + 1] (the end of the buffer for the last). */
struct pool_ent {
	uint32_t hash;
	uint32_t index; /* UINT32_MAX: a free slot */
};

struct label {
	size_t *at, *insn;
	size_t n, cap;
	size_t at0[4], insn0[4]; /* the first references (labels stay put) */
};

struct sv_codegen {
	struct sv_validator *v;
	struct sv_arena *arena;
	struct sv_buf code, pool;
	size_t npool;
	struct pool_ent *slots_tab; /* open addressing */
	size_t nslots_tab;
	size_t *offs;               /* where each constant starts in pool */
	size_t capoffs;
	struct sv_buf scratch;      /* template parts */
	uint32_t *line_off, *line_no;
	size_t nlines, caplines;
	int *slot_of; /* registry index -> slot */
	const struct sv_ext_def *slots[SV_BIN_MAX_EXTS];
	size_t nslots;
	struct sv_diags *diags;
	bool failed;
};

struct sv_validator *sv_cg_validator(struct sv_codegen *g)
{
	return g->v;
}

int sv_cg_slot(struct sv_codegen *g, const struct sv_ext_def *ext)
{
	int s = g->slot_of[ext->index];
	if (s >= 0)
		return s;
	if (g->nslots >= SV_BIN_MAX_EXTS) {
		g->failed = true;
		return 0;
	}
	g->slots[g->nslots] = ext;
	g->slot_of[ext->index] = (int)g->nslots;
	return (int)g->nslots++;
}

/* Bytes straight into a buffer (room reserved by the caller). */
static inline size_t put_varint_raw(unsigned char *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

static inline void buf_varint(struct sv_buf *b, uint64_t v)
{
	if (b->cap - b->len <= 10)
		sv_buf_reserve(b, 10);
	b->len += put_varint_raw((unsigned char *)b->p + b->len, v);
}

static inline void buf_u8(struct sv_buf *b, uint8_t v)
{
	if (b->cap - b->len <= 1)
		sv_buf_reserve(b, 1);
	b->p[b->len++] = (char)v;
}

void sv_cg_varint(struct sv_codegen *g, uint64_t v)
{
	buf_varint(&g->code, v);
}

/* ---- constant pool ---- */

/* The pool only needs a good spread (duplicates are compared in full). */
static uint64_t pool_hash(const unsigned char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	uint64_t w = 0;
	if (n >= 8) {
		const unsigned char *last = p + n - 8;
		while (p < last) {
			memcpy(&w, p, 8);
			h = (h ^ w) * 0xff51afd7ed558ccdull;
			h ^= h >> 32;
			p += 8;
		}
		memcpy(&w, last, 8); /* the last eight bytes, overlapping */
	} else {
		for (size_t i = 0; i < n; i++)
			w |= (uint64_t)p[i] << (8 * i);
	}
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return h;
}

static void pool_grow(struct sv_codegen *g)
{
	size_t nn = g->nslots_tab ? g->nslots_tab * 2 : 1024;
	struct pool_ent *t = sv_malloc(nn * sizeof *t);
	for (size_t i = 0; i < nn; i++)
		t[i].index = UINT32_MAX;
	for (size_t i = 0; i < g->nslots_tab; i++) {
		struct pool_ent *e = &g->slots_tab[i];
		if (e->index == UINT32_MAX)
			continue;
		size_t k = e->hash & (nn - 1);
		while (t[k].index != UINT32_MAX)
			k = (k + 1) & (nn - 1);
		t[k] = *e;
	}
	sv_free(g->slots_tab);
	g->slots_tab = t;
	g->nslots_tab = nn;
}

/* The constant just encoded at the end of the pool, from byte start: its
 * index, that of an equal constant already there (the new bytes are then
 * dropped) or a new one. */
static uint32_t pool_commit(struct sv_codegen *g, size_t start)
{
	const char *enc = g->pool.p + start;
	size_t len = g->pool.len - start;
	uint32_t h = (uint32_t)pool_hash((const unsigned char *)enc, len);
	if ((g->npool + 1) * 2 > g->nslots_tab)
		pool_grow(g);
	size_t mask = g->nslots_tab - 1;
	size_t k = h & mask;
	for (;;) {
		struct pool_ent *e = &g->slots_tab[k];
		if (e->index == UINT32_MAX)
			break;
		if (e->hash == h) {
			size_t off = g->offs[e->index];
			size_t end = e->index + 1 < g->npool ? g->offs[e->index + 1] : start;
			if (end - off == len && memcmp(g->pool.p + off, enc, len) == 0) {
				g->pool.len = start;
				g->pool.p[start] = '\0';
				return e->index;
			}
		}
		k = (k + 1) & mask;
	}
	if (g->npool == g->capoffs) {
		g->capoffs = g->capoffs ? g->capoffs * 2 : 1024;
		g->offs = sv_realloc(g->offs, g->capoffs * sizeof *g->offs);
	}
	g->offs[g->npool] = start;
	struct pool_ent *e = &g->slots_tab[k];
	e->hash = h;
	e->index = (uint32_t)g->npool++;
	g->pool.p[g->pool.len] = '\0';
	return e->index;
}

static uint32_t str_const(struct sv_codegen *g, const char *p, size_t len)
{
	struct sv_buf *b = &g->pool;
	size_t start = b->len;
	if (b->cap - b->len <= len + 11)
		sv_buf_reserve(b, len + 11);
	unsigned char *w = (unsigned char *)b->p + b->len;
	*w++ = SV_CONST_STR;
	w += put_varint_raw(w, len);
	if (len)
		memcpy(w, p, len);
	b->len = (size_t)((char *)w - b->p) + len;
	return pool_commit(g, start);
}

struct tpl_ctx {
	struct sv_codegen *g;
	struct sv_buf *parts;
	size_t nparts;
	bool dynamic;
};

static void tpl_lit(void *ctx, const char *p, size_t len)
{
	struct tpl_ctx *t = ctx;
	buf_u8(t->parts, SV_TPL_LIT);
	buf_varint(t->parts, len);
	sv_buf_append(t->parts, p, len);
	t->nparts++;
}

static void tpl_var(void *ctx, const char *name, size_t len)
{
	struct tpl_ctx *t = ctx;
	int slot = sv_validator_var(t->g->v, name, len, (struct sv_loc){0, 0, 0});
	if (slot < 0) {
		t->g->failed = true;
		return;
	}
	buf_u8(t->parts, SV_TPL_VAR);
	buf_varint(t->parts, (uint64_t)slot);
	t->nparts++;
	t->dynamic = true;
}

static void tpl_match(void *ctx, unsigned idx)
{
	struct tpl_ctx *t = ctx;
	buf_u8(t->parts, SV_TPL_MATCH);
	buf_varint(t->parts, idx);
	t->nparts++;
	t->dynamic = true;
}

static void tpl_ns(void *ctx, const struct sv_ext_def *ext, unsigned nsidx,
		   const struct sv_namespace_def *ns, const char *name, size_t len)
{
	struct tpl_ctx *t = ctx;
	if (ns->variables) {
		/* ${global.x} is the script's variable "global.x" */
		struct sv_buf full = SV_BUF_INIT;
		sv_buf_printf(&full, "%s.", ns->name);
		sv_buf_append(&full, name, len);
		tpl_var(ctx, full.p, full.len);
		sv_buf_free(&full);
		return;
	}
	buf_u8(t->parts, SV_TPL_NS);
	buf_u8(t->parts, (uint8_t)sv_cg_slot(t->g, ext));
	buf_varint(t->parts, nsidx);
	buf_varint(t->parts, len);
	sv_buf_append(t->parts, name, len);
	t->nparts++;
	t->dynamic = true;
}

static uint32_t string_const(struct sv_codegen *g, const char *p, size_t len)
{
	if (!g->v->templates || !memchr(p, '$', len))
		return str_const(g, p, len);
	sv_buf_reset(&g->scratch);
	struct tpl_ctx t = {.g = g, .parts = &g->scratch};
	struct sv_tpl_visitor vis = {tpl_lit, tpl_var, tpl_match, tpl_ns, &t};
	struct sv_buf err = SV_BUF_INIT;
	bool ok = sv_tpl_scan(g->v, p, len, &vis, &err);
	sv_buf_free(&err);
	if (!ok || !t.dynamic)
		return str_const(g, p, len);
	size_t start = g->pool.len;
	buf_u8(&g->pool, SV_CONST_TPL);
	buf_varint(&g->pool, t.nparts);
	sv_buf_append(&g->pool, g->scratch.p, g->scratch.len);
	return pool_commit(g, start);
}

static uint32_t list_const(struct sv_codegen *g, const struct sv_ast_arg *a)
{
	uint32_t stack[64];
	uint32_t *items = a->nstrs <= 64 ? stack : sv_malloc(a->nstrs * sizeof *items);
	for (size_t i = 0; i < a->nstrs; i++)
		items[i] = string_const(g, a->strs[i].s, a->strs[i].len);
	size_t start = g->pool.len;
	buf_u8(&g->pool, SV_CONST_LIST);
	buf_varint(&g->pool, a->nstrs);
	for (size_t i = 0; i < a->nstrs; i++)
		buf_varint(&g->pool, items[i]);
	uint32_t idx = pool_commit(g, start);
	if (items != stack)
		sv_free(items);
	return idx;
}

void sv_cg_string(struct sv_codegen *g, const struct sv_ast_str *s)
{
	sv_cg_varint(g, string_const(g, s->s, s->len));
}

void sv_cg_string_lit(struct sv_codegen *g, const char *p, size_t len)
{
	sv_cg_varint(g, str_const(g, p, len));
}

void sv_cg_list(struct sv_codegen *g, const struct sv_ast_arg *a)
{
	sv_cg_varint(g, list_const(g, a));
}

/* ---- instructions ---- */

void sv_cg_op(struct sv_codegen *g, const struct sv_ext_def *ext, unsigned op, unsigned line)
{
	if (g->nlines == 0 || g->line_no[g->nlines - 1] != line) {
		if (g->nlines == g->caplines) {
			g->caplines = g->caplines ? g->caplines * 2 : 64;
			g->line_off = sv_realloc(g->line_off, g->caplines * sizeof *g->line_off);
			g->line_no = sv_realloc(g->line_no, g->caplines * sizeof *g->line_no);
		}
		g->line_off[g->nlines] = (uint32_t)g->code.len;
		g->line_no[g->nlines] = line;
		g->nlines++;
	}
	buf_u8(&g->code, (uint8_t)sv_cg_slot(g, ext));
	buf_varint(&g->code, op);
}

static void label_ref(struct sv_codegen *g, struct label *l, size_t insn)
{
	if (l->cap == 0) {
		l->at = l->at0;
		l->insn = l->insn0;
		l->cap = 4;
	} else if (l->n == l->cap) {
		l->cap *= 2;
		size_t *at = sv_arena_array(g->arena, l->cap, sizeof *at);
		size_t *in = sv_arena_array(g->arena, l->cap, sizeof *in);
		if (l->n) {
			memcpy(at, l->at, l->n * sizeof *at);
			memcpy(in, l->insn, l->n * sizeof *in);
		}
		l->at = at;
		l->insn = in;
	}
	l->at[l->n] = g->code.len;
	l->insn[l->n] = insn;
	l->n++;
	static const char pad[JUMP_WIDTH] = {0};
	sv_buf_append(&g->code, pad, JUMP_WIDTH);
}

static void emit_jump(struct sv_codegen *g, unsigned kind, struct label *l, unsigned line)
{
	size_t insn = g->code.len;
	sv_cg_op(g, sv_ext_core(), kind, line);
	label_ref(g, l, insn);
}

static void label_place(struct sv_codegen *g, struct label *l)
{
	size_t target = g->code.len;
	for (size_t i = 0; i < l->n; i++) {
		int64_t d = (int64_t)target - (int64_t)l->insn[i];
		uint64_t z = ((uint64_t)d << 1) ^ (uint64_t)(d >> 63);
		unsigned char *p = (unsigned char *)g->code.p + l->at[i];
		for (int k = 0; k < JUMP_WIDTH; k++) {
			p[k] = (unsigned char)(z & 0x7f);
			z >>= 7;
			if (k < JUMP_WIDTH - 1)
				p[k] |= 0x80;
		}
		if (z)
			g->failed = true; /* script too large for 35-bit jumps */
	}
	l->n = 0;
}

void sv_cg_optionals(struct sv_codegen *g, struct sv_ast_node *n)
{
	struct sv_vnode *vn = sv_vnode(n);
	size_t count = 0;
	for (size_t i = 0; i < vn->ntags; i++)
		if (vn->tags[i].family || vn->tags[i].def->opt != 0xff)
			count++;
	sv_cg_varint(g, count);
	for (size_t i = 0; i < vn->ntags; i++) {
		const struct sv_vtag *t = &vn->tags[i];
		if (t->family) {
			uint8_t id = t->family == 'c' ? SV_OPT_COMPARATOR
				     : t->family == 'm' ? SV_OPT_MATCH : SV_OPT_ADDRPART;
			buf_u8(&g->code, 0);
			buf_u8(&g->code, id);
			buf_u8(&g->code, (uint8_t)sv_cg_slot(g, t->fext));
			buf_u8(&g->code, (uint8_t)t->fidx);
			if (t->family == 'm')
				buf_u8(&g->code, (uint8_t)t->rel);
			continue;
		}
		if (t->def->opt == 0xff)
			continue;
		buf_u8(&g->code, (uint8_t)sv_cg_slot(g, t->ext));
		buf_u8(&g->code, t->def->opt);
		switch (t->ext->opt_kinds[t->def->opt]) {
		case 'n':
			sv_cg_varint(g, t->value->num);
			break;
		case 's':
			sv_cg_string(g, &t->value->strs[0]);
			break;
		case 'l':
			sv_cg_list(g, t->value);
			break;
		default:
			break;
		}
	}
}

void sv_cg_generic(struct sv_codegen *g, struct sv_ast_node *n)
{
	struct sv_vnode *vn = sv_vnode(n);
	const struct sv_op_def *op = &vn->ext->ops[vn->cmd->op];
	sv_cg_op(g, vn->ext, vn->cmd->op, n->loc.line);
	size_t pi = 0;
	for (const char *s = op->sig; *s; s++) {
		if (*s == 'x') {
			sv_cg_optionals(g, n);
			continue;
		}
		struct sv_ast_arg *a = pi < vn->npos ? vn->pos[pi] : NULL;
		pi++;
		if (!a) {
			/* an optional positional left out: empty value */
			if (*s == 'n')
				sv_cg_varint(g, 0);
			else if (*s == 's')
				sv_cg_string_lit(g, "", 0);
			else {
				struct sv_ast_arg empty = {.kind = SV_AST_STRLIST};
				sv_cg_list(g, &empty);
			}
			continue;
		}
		switch (*s) {
		case 'n':
			sv_cg_varint(g, a->num);
			break;
		case 's':
			sv_cg_string(g, &a->strs[0]);
			break;
		case 'l':
			sv_cg_list(g, a);
			break;
		default:
			g->failed = true;
		}
	}
}

static void gen_cmd(struct sv_codegen *g, struct sv_ast_node *n)
{
	struct sv_vnode *vn = sv_vnode(n);
	if (vn->cmd->generate)
		vn->cmd->generate(g, n);
	else
		sv_cg_generic(g, n);
}

/* The value of a test whose every part is known at compile time, else
 * -1. anyof (header :matches ..., true) is true, but its header test
 * still runs for the match variables it sets: only a test made of
 * constants alone may go without code. */
static int pure_const(struct sv_codegen *g, const struct sv_ast_node *t)
{
	if ((streq(t->id, "allof") || streq(t->id, "anyof") || streq(t->id, "not")) &&
	    sv_vnode(t) && sv_vnode(t)->ext == sv_ext_core()) {
		for (const struct sv_ast_node *s = t->tests; s; s = s->next)
			if (pure_const(g, s) < 0)
				return -1;
	}
	return sv_validator_const_value(g->v, t);
}

static void gen_cond(struct sv_codegen *g, struct sv_ast_node *t, bool sense, struct label *l)
{
	const char *id = t->id;
	unsigned line = t->loc.line;
	struct sv_vnode *vn = sv_vnode(t);
	bool control = vn && (vn->cmd->flags & SV_CMDF_CONTROL) && vn->ext == sv_ext_core();
	int cv = pure_const(g, t);
	if (cv >= 0) {
		/* known at compile time (true, false, ihave, and what is made
		   of them): no instruction, at most a jump */
		if (cv == (int)sense)
			emit_jump(g, CORE_JMP, l, line);
	} else if (control && streq(id, "not")) {
		gen_cond(g, t->tests, !sense, l);
	} else if (control && (streq(id, "allof") || streq(id, "anyof"))) {
		bool all = id[1] == 'l';
		/* allof jumps out on the first false, anyof on the first true */
		if (sense != all) {
			for (struct sv_ast_node *s = t->tests; s; s = s->next)
				gen_cond(g, s, sense, l);
		} else {
			struct label m = {0};
			for (struct sv_ast_node *s = t->tests; s; s = s->next) {
				if (s->next)
					gen_cond(g, s, !sense, &m);
				else
					gen_cond(g, s, sense, l);
			}
			label_place(g, &m);
		}
	} else {
		gen_cmd(g, t);
		emit_jump(g, sense ? CORE_JMPT : CORE_JMPF, l, line);
	}
}

static void gen_block(struct sv_codegen *g, struct sv_ast_node *n);

/* The block of an if/elsif: with what its test makes available
 * (ihave) enabled, as the validator had it. */
static void gen_guarded(struct sv_codegen *g, struct sv_ast_node *c)
{
	struct sv_vscope sc;
	sv_validator_scope_enter(g->v, c->ntests == 1 ? c->tests : NULL, &sc);
	gen_block(g, c->block);
	sv_validator_scope_leave(g->v, &sc);
}

static void gen_block(struct sv_codegen *g, struct sv_ast_node *n)
{
	while (n) {
		struct sv_vnode *vn = sv_vnode(n);
		if (!vn) { /* require */
			n = n->next;
			continue;
		}
		if (!streq(n->id, "if") || vn->ext != sv_ext_core()) {
			gen_cmd(g, n);
			n = n->next;
			continue;
		}
		struct label end = {0};
		struct sv_ast_node *c = n;
		for (;;) {
			bool is_else = streq(c->id, "else");
			struct sv_ast_node *next = c->next;
			bool more = next && (streq(next->id, "elsif") || streq(next->id, "else")) &&
				    (sv_vnode(next) || next->skip);
			/* a link after a constant-true one is dead: nothing of
			   it is generated */
			bool decided = c->chain_true;
			if (c->skip && (is_else || c->chain_true || pure_const(g, c->tests) >= 0)) {
				/* dead, or constant false and made of constants
				   only: nothing */
			} else if (is_else) {
				gen_block(g, c->block);
			} else {
				struct label skip = {0};
				gen_cond(g, c->tests, false, &skip);
				if (!c->skip)
					gen_guarded(g, c);
				if (more && !decided)
					emit_jump(g, CORE_JMP, &end, c->end.line ? c->end.line : c->loc.line);
				label_place(g, &skip);
			}
			if (!more || is_else) {
				n = next;
				break;
			}
			c = next;
		}
		label_place(g, &end);
	}
}

struct sv_codegen *sv_codegen_begin(struct sv_validator *v, size_t srclen,
				    struct sv_diags *diags)
{
	struct sv_codegen *g = sv_calloc(1, sizeof *g);
	/* Code and constants take less room than their source: with room for
	 * that much, the buffers never move (and pages never written are
	 * never touched). */
	sv_buf_reserve(&g->code, srclen / 2 + 64);
	sv_buf_reserve(&g->pool, srclen / 2 + 64);
	g->v = v;
	g->arena = sv_arena_new();
	g->diags = diags;
	pool_grow(g);
	g->slot_of = sv_malloc(sv_ext_count() * sizeof *g->slot_of);
	for (size_t i = 0; i < sv_ext_count(); i++)
		g->slot_of[i] = -1;
	/* every required extension gets a slot, core first */
	for (size_t i = 0; i < v->norder; i++)
		sv_cg_slot(g, v->order[i]);
	return g;
}

void sv_codegen_top(struct sv_codegen *g, struct sv_ast_node *list)
{
	gen_block(g, list);
}

bool sv_codegen_finish(struct sv_codegen *g, const char *name, uint64_t src_hash, uint64_t fingerprint,
		       struct sv_buf *out, struct sv_diags *diags)
{
	struct sv_validator *v = g->v;
	bool ok = !g->failed;
	if (!out) {
		/* abandoned: only free */
	} else if (ok) {
		const char **names = sv_calloc(v->nvars ? v->nvars : 1, sizeof *names);
		for (size_t i = 0; i < v->nvars; i++)
			names[i] = v->vars[i];
		struct sv_bin_parts parts = {
			.exts = g->slots,
			.nexts = g->nslots,
			.pool = &g->pool,
			.npool = g->npool,
			.varnames = names,
			.nvars = v->nvars,
			.code = &g->code,
			.line_off = g->line_off,
			.line_no = g->line_no,
			.nlines = g->nlines,
			.name = name,
			.src_hash = src_hash,
			.fingerprint = fingerprint,
		};
		sv_bin_write(&parts, out);
		sv_free(names);
	} else {
		sv_diag_error(diags, ((struct sv_loc){0, 0, 0}), "code generation failed: script too large");
	}
	sv_buf_free(&g->code);
	sv_buf_free(&g->pool);
	sv_free(g->slots_tab);
	sv_free(g->offs);
	sv_buf_free(&g->scratch);
	sv_free(g->slot_of);
	sv_free(g->line_off);
	sv_free(g->line_no);
	sv_arena_free(g->arena);
	sv_free(g);
	return ok;
}

/* ---- blocks and forward jumps for custom generate hooks ---- */

size_t sv_cg_offset(struct sv_codegen *g)
{
	return g->code.len;
}

size_t sv_cg_jump_reserve(struct sv_codegen *g)
{
	static const char pad[JUMP_WIDTH] = {0};
	size_t at = g->code.len;
	sv_buf_append(&g->code, pad, JUMP_WIDTH);
	return at;
}

void sv_cg_jump_patch(struct sv_codegen *g, size_t at, size_t insn)
{
	struct label l = {.at = &at, .insn = &insn, .n = 1, .cap = 1};
	label_place(g, &l);
}

void sv_cg_block(struct sv_codegen *g, struct sv_ast_node *block)
{
	gen_block(g, block);
}
