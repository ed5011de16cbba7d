/*
 * compile.h: the compiler's entry point: source -> parse -> validate ->
 * generate -> binary image. Used by sievec, sieve-test, the LDA (on a stale
 * or corrupt cached binary) and the test-suite runner.
 */
#ifndef SV_COMPILE_H
#define SV_COMPILE_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/diag.h"
#include "lib/limits.h"
#include "lib/status.h"

struct sv_compile_options {
	const struct sv_settings *settings; /* NULL: defaults */
	const char *const *extra_exts;      /* hidden extensions offered */
};

/* The stage a failed compile stopped in ("parse", "validation", "code
 * generation"), for messages. */
enum sv_compile_stage { SV_STAGE_NONE, SV_STAGE_PARSE, SV_STAGE_VALIDATE, SV_STAGE_CODEGEN };

/*
 * Compile src (named file in diagnostics) into a binary image appended to
 * out. Returns SV_OK, or SV_FAIL with every error in diags, each mistake
 * once: the commands that parse are validated after a syntax error too
 * (nothing is generated), and a quoted string left open in the middle of
 * the script is found by a second reading (compile.c). *stage_r (may be
 * NULL) tells where it stopped.
 */
enum sv_status sv_compile(const char *file, const char *src, size_t len,
			  const struct sv_compile_options *o, struct sv_diags *diags,
			  struct sv_buf *out, enum sv_compile_stage *stage_r);

/* Read a script file (bounded by max-script-size) into out. */
enum sv_status sv_read_file(const char *path, size_t max, struct sv_buf *out, struct sv_buf *err);

/* The script name of a path: its base name without ".sieve". */
void sv_script_name(const char *path, struct sv_buf *out);

#endif
