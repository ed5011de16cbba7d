/*
 * scripts.h: the scripts of one delivery (DESIGN.md §3): the admin's
 * "before" folder, the user's active script, the admin's "after" folder,
 * each loaded through the compiled-script cache.
 *
 * The cache is the .svbin beside each script (parser/script.h): used when
 * its source hash, the build's fingerprint and the compile-time settings
 * match and it is not older than the script; rebuilt otherwise, and when
 * it fails to load or verify. The user's own binaries are rewritten
 * atomically (concurrent deliveries read them); global folders are not
 * the user's to write, so a stale global binary is compiled in memory for
 * the delivery and the admin is told to precompile it with sievec.
 */
#ifndef SV_SCRIPTS_H
#define SV_SCRIPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/status.h"
#include "vm/binary.h"

struct sv_dlv_script {
	char *path;     /* as found (a symlink is followed when loading) */
	char *name;     /* for logs: the path as configured */
	bool global;    /* the admin's: never written, not the user's log */
	bool missing_ok; /* a missing file is not an error (no active script) */
	bool missing;   /* set by load: the file does not exist */
	bool stale;     /* set by load: a global binary was compiled in memory */
	struct sv_binary *bin; /* set by a successful load */
};

struct sv_dlv_scripts {
	struct sv_dlv_script *v;
	size_t n, cap;
};

void sv_dlv_scripts_init(struct sv_dlv_scripts *s);
void sv_dlv_scripts_free(struct sv_dlv_scripts *s);

/* Add every "*.sieve" file of a folder, in byte order of the names; a
 * folder that does not exist adds nothing. Hidden files are skipped. */
void sv_dlv_scripts_add_folder(struct sv_dlv_scripts *s, const char *dir, bool global);
void sv_dlv_scripts_add_file(struct sv_dlv_scripts *s, const char *path, bool global,
			     bool missing_ok);

/*
 * Load one script (see above). SV_OK: s->bin is ready. SV_FAIL: it cannot
 * run (compile errors, rendered file:line:col into text; not a regular
 * file; unreadable for good; s->missing when it does not exist).
 * SV_TEMPFAIL: reading it failed in a way that may pass (I/O error).
 */
enum sv_status sv_dlv_script_load(struct sv_dlv_script *s, const struct sv_settings *set,
				  struct sv_buf *text);

#endif
