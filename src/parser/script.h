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
 * path is a script (*.sieve or anything not a binary) or a binary (named
 * *.svbin, or any file that starts with the magic number): a binary that
 * does not load is SV_CORRUPT with err saying why (without the path: the
 * caller names the file). On SV_FAIL diags holds the compile errors; err
 * says what went wrong otherwise. src_r (may be NULL) receives the source
 * when it was read (the binary's bytes for a binary).
 */
enum sv_status sv_script_open(const char *path, const struct sv_script_options *o,
			      struct sv_binary **bin_r, struct sv_diags *diags, struct sv_buf *src_r,
			      struct sv_buf *err);

/* Whether sv_script_open takes path (read as data, len bytes) as a binary:
 * named *.svbin, or starting with the magic number (data may be NULL:
 * the name alone decides). */
bool sv_script_is_binary(const char *path, const char *data, size_t len);

/* Bytes a script name may have (include, RFC 6609). */
#define SV_SCRIPT_NAME_MAX 255

/*
 * Is this a script name include may take (RFC 6609 §3.1, with RFC 5804
 * §1.6's rules for names): not empty, at most SV_SCRIPT_NAME_MAX bytes,
 * valid UTF-8 without control characters (C0, DEL, C1, U+2028/2029),
 * and a name, never a path: no '/' and no leading '.', so that it cannot
 * leave its folder. False with the reason in why (may be NULL).
 */
bool sv_script_name_check(const char *name, size_t len, struct sv_buf *why);

/* The .svbin path for a script path (".sieve" replaced, else appended). */
void sv_script_binary_path(const char *path, struct sv_buf *out);

#endif
