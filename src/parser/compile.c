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

enum sv_status sv_compile(const char *file, const char *src, size_t len,
			  const struct sv_compile_options *o, struct sv_diags *diags,
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
	if (len > set->max_script_size) {
		sv_diag_error(diags, ((struct sv_loc){0, 0, 0}),
			      "script is larger than the limit of %llu bytes",
			      (unsigned long long)set->max_script_size);
		goto done;
	}
	struct sv_parse_options po = {.max_nesting = (unsigned)set->max_nesting};
	struct sv_ast *ast = sv_parse(arena, file, src, len, &po, diags);
	if (!ast || diags->errors)
		goto done;
	stage = SV_STAGE_VALIDATE;
	v.arena = arena;
	v.diags = diags;
	v.settings = set;
	v.file = file;
	struct sv_validate_options vo = {.settings = set, .extra = o ? o->extra_exts : NULL};
	if (!sv_validate(&v, ast, &vo) || diags->errors)
		goto done;
	stage = SV_STAGE_CODEGEN;
	struct sv_buf name = SV_BUF_INIT;
	sv_script_name(file, &name);
	bool ok = sv_codegen_run(&v, ast, name.p ? name.p : "", sv_hash64(src, len), out, diags);
	sv_buf_free(&name);
	if (ok) {
		st = SV_OK;
		stage = SV_STAGE_NONE;
	}
done:
	sv_diags_sort(diags);
	if (stage_r)
		*stage_r = stage;
	sv_validator_free(&v);
	sv_arena_free(arena);
	sv_settings_free(&defaults);
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
