/*
 * compile.c: the compile pipeline (see compile.h).
 */
#include "parser/compile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/alloc.h"
#include "parser/ast.h"
#include "parser/codegen.h"
#include "parser/lex.h"
#include "parser/validate.h"
#include "vm/binary.h"

void sv_script_name(const char *path, struct sv_buf *out)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 6 && strcmp(base + n - 6, ".sieve") == 0)
		n -= 6;
	sv_buf_append(out, base, n);
}

/*
 * The compiler streams: each top-level command (with its elsif and else)
 * is validated and generated as soon as it is parsed, and its memory is
 * reused for the next ones, so a large script never has its whole tree in
 * memory. The outcome is that of parse, then validate, then generate:
 * diagnostics of a later stage are kept aside and given only when every
 * earlier stage succeeded, in the order those stages would have given
 * them; nothing is generated after a validation error.
 */
struct stream {
	struct sv_gr_top top;
	struct sv_diags *diags;           /* the caller's */
	size_t srclen;
	struct sv_validator *v;
	struct sv_codegen *g;
	struct sv_diags dec, val, cg;     /* encoded-character, validation, codegen */
	struct sv_arena *cur, *prev;      /* NULL: the compile arena (not reset) */
};

static void stream_flush(struct sv_gr_top *top, struct sv_parser *p, bool final)
{
	struct stream *s = top->ctx;
	struct sv_validator *v = s->v;
	/* the commands that parsed are validated even after a syntax error,
	 * so that a later mistake is reported too; nothing is generated */
	if (top->head) {
		v->arena = p->arena;
		v->diags = &s->val;
		sv_validate_top(v, top->head, &s->dec);
		/* generation starts after the requires (they give the slots) */
		if (s->diags->errors == 0 && s->dec.errors == 0 && s->val.errors == 0 &&
		    v->seen_non_require) {
			if (!s->g)
				s->g = sv_codegen_begin(v, s->srclen, &s->cg);
			v->diags = &s->cg;
			sv_codegen_top(s->g, top->head);
		}
		v->diags = &s->val;
	}
	if (final)
		return;
	/* the commands are done with: the arena before theirs can go (theirs
	 * may still hold the parser's lookahead) */
	struct sv_arena *next = s->prev;
	if (next)
		sv_arena_reset(next);
	else
		next = sv_arena_new();
	s->prev = s->cur;
	s->cur = next;
	p->arena = s->cur;
	p->lx.arena = s->cur;
}

static void replay(struct sv_diags *to, const struct sv_diags *from)
{
	for (size_t i = 0; i < from->n; i++)
		sv_diag_add(to, from->v[i].sev, from->v[i].loc, "%s", from->v[i].msg);
}

/* One compile; cut/ncut/runaway_r as in struct sv_parse_options. */
static enum sv_status compile_once(const char *file, const char *src, size_t len,
				   const struct sv_compile_options *o, const size_t *cut,
				   size_t ncut, size_t *runaway_r, struct sv_diags *diags,
				   struct sv_buf *out, enum sv_compile_stage *stage_r)
{
	struct sv_settings defaults;
	sv_settings_init(&defaults);
	const struct sv_settings *set = o && o->settings ? o->settings : &defaults;
	enum sv_compile_stage stage = SV_STAGE_PARSE;
	enum sv_status st = SV_FAIL;
	if (diags->max_errors == 0)
		diags->max_errors = (size_t)set->max_diagnostics;
	struct sv_arena *arena = sv_arena_new();
	struct sv_validator v;
	memset(&v, 0, sizeof v);
	struct stream s;
	memset(&s, 0, sizeof s);
	sv_diags_init(&s.dec);
	sv_diags_init(&s.val);
	sv_diags_init(&s.cg);
	s.dec.max_errors = s.val.max_errors = s.cg.max_errors = SIZE_MAX;
	if (len > set->max_script_size) {
		sv_diag_error(diags, ((struct sv_loc){0, 0, 0}),
			      "script is larger than the limit of %llu bytes (max-script-size)",
			      (unsigned long long)set->max_script_size);
		goto done;
	}
	v.arena = arena;
	v.diags = &s.val;
	v.settings = set;
	v.file = file;
	struct sv_validate_options vo = {.settings = set, .extra = o ? o->extra_exts : NULL};
	sv_validate_begin(&v, &vo);
	s.top.flush = stream_flush;
	s.top.ctx = &s;
	s.diags = diags;
	s.srclen = len;
	s.v = &v;
	struct sv_parse_options po = {.max_nesting = (unsigned)set->max_nesting,
				      .cut = cut, .ncut = ncut, .runaway_r = runaway_r};
	struct sv_ast *ast = sv_parse_top(arena, file, src, len, &po, diags, &s.top);
	if (!ast || diags->errors) {
		/* the mistakes of the commands that parsed are reported with
		 * the syntax errors (sorted by place below) */
		replay(diags, &s.dec);
		replay(diags, &s.val);
		goto done;
	}
	stage = SV_STAGE_VALIDATE;
	replay(diags, &s.dec);
	replay(diags, &s.val);
	if (diags->errors)
		goto done;
	stage = SV_STAGE_CODEGEN;
	if (!s.g)
		s.g = sv_codegen_begin(&v, len, &s.cg);
	replay(diags, &s.cg);
	struct sv_buf name = SV_BUF_INIT;
	sv_script_name(file, &name);
	struct sv_codegen *g = s.g;
	s.g = NULL;
	bool ok = sv_codegen_finish(g, name.p ? name.p : "", sv_hash64(src, len),
				    sv_bin_fingerprint_for(o ? o->settings : NULL), out, diags);
	sv_buf_free(&name);
	if (ok) {
		st = SV_OK;
		stage = SV_STAGE_NONE;
	}
done:
	if (s.g)
		sv_codegen_finish(s.g, "", 0, 0, NULL, NULL);
	sv_diags_sort(diags);
	if (stage_r)
		*stage_r = stage;
	sv_validator_free(&v);
	sv_arena_free(s.prev);
	sv_arena_free(s.cur);
	sv_arena_free(arena);
	sv_diags_free(&s.dec);
	sv_diags_free(&s.val);
	sv_diags_free(&s.cg);
	sv_settings_free(&defaults);
	return st;
}

/* Quoted strings read again as unterminated, at most (each costs a parse
 * of the whole script, and only a script with errors pays it). */
enum { MAX_CUTS = 4 };

/*
 * A quoted string left unclosed in the middle of the script swallows the
 * commands up to the next '"' and turns every later string inside out
 * (lex.h, first_multiline): one mistake, reported far from where it is,
 * that hides every later one. When the script ends in an unterminated
 * string and an earlier closed one ran over lines, the script is compiled
 * again with that one ended at its line's end; the reading that no longer
 * ends in a runaway string is the one reported.
 */
enum sv_status sv_compile(const char *file, const char *src, size_t len,
			  const struct sv_compile_options *o, struct sv_diags *diags,
			  struct sv_buf *out, enum sv_compile_stage *stage_r)
{
	size_t cut[MAX_CUTS], ncut = 0, runaway = 0;
	struct sv_diags best;
	sv_diags_init(&best);
	best.max_errors = diags->max_errors;
	enum sv_compile_stage stage = SV_STAGE_NONE;
	enum sv_status st =
	    compile_once(file, src, len, o, NULL, 0, &runaway, &best, out, &stage);
	struct sv_diags d;
	sv_diags_init(&d);
	while (st != SV_OK && runaway && ncut < MAX_CUTS) {
		cut[ncut++] = runaway - 1;
		sv_diags_clear(&d);
		d.max_errors = diags->max_errors;
		runaway = 0;
		enum sv_compile_stage dstage = SV_STAGE_NONE;
		compile_once(file, src, len, o, cut, ncut, &runaway, &d, out, &dstage);
		if (!runaway) {
			struct sv_diags t = best;
			best = d;
			d = t;
			stage = dstage;
		}
	}
	sv_diags_free(&d);
	if (diags->max_errors == 0)
		diags->max_errors = best.max_errors;
	size_t shown = 0;
	for (size_t i = 0; i < best.n; i++)
		shown += best.v[i].sev == SV_DIAG_ERROR;
	replay(diags, &best);
	diags->errors += best.errors - shown;
	diags->truncated = diags->truncated || best.truncated;
	sv_diags_free(&best);
	if (stage_r)
		*stage_r = stage;
	return st;
}

enum sv_status sv_read_file(const char *path, size_t max, struct sv_buf *out, struct sv_buf *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		sv_buf_printf(err, "cannot open %s: %s", path, strerror(errno));
		return errno == ENOENT || errno == EACCES ? SV_FAIL : SV_TEMPFAIL;
	}
	char tmp[65536];
	size_t n;
	enum sv_status st = SV_OK;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
		sv_buf_append(out, tmp, n);
		if (out->len > max) {
			sv_buf_printf(err, "%s is larger than the limit of %zu bytes", path, max);
			st = SV_LIMIT;
			break;
		}
	}
	if (st == SV_OK && ferror(f)) {
		sv_buf_printf(err, "cannot read %s: %s", path, strerror(errno));
		st = SV_TEMPFAIL;
	}
	fclose(f);
	if (!out->p)
		sv_buf_reserve(out, 0);
	return st;
}
