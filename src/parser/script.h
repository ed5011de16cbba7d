/*
 * script.h: open a script for running: a .svbin is used when it is current
 * (its source hash and build fingerprint match and it is not older than
 * the script), otherwise the script is compiled (and, when asked, the
 * binary rewritten atomically). A corrupt binary is never run: it is
 * recompiled (DESIGN.md §3).
 */
#ifndef SV_SCRIPT_H
#define SV_SCRIPT_H

#include <stdbool.h>

#include "lib/buf.h"
#include "lib/diag.h"
#include "lib/status.h"
#include "parser/compile.h"
#include "vm/binary.h"

struct sv_script_options {
	struct sv_compile_options compile;
	bool save;       /* rewrite a stale or missing .svbin */
	bool use_cache;  /* look for a .svbin beside the script */
};

/*
 * path is a script (*.sieve or anything not a binary) or a binary (*.svbin,
 * recognised by its magic). On SV_FAIL diags holds the compile errors; err
 * says what went wrong otherwise. src_r (may be NULL) receives the source
 * when it was read.
 */
enum sv_status sv_script_open(const char *path, const struct sv_script_options *o,
			      struct sv_binary **bin_r, struct sv_diags *diags, struct sv_buf *src_r,
			      struct sv_buf *err);

/* The .svbin path for a script path (".sieve" replaced, else appended). */
void sv_script_binary_path(const char *path, struct sv_buf *out);

#endif
