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
	bool no_save;   /* never write its .svbin (a test's source tree) */
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

/*
 * The script resolver of include (RFC 6609 §3.1; DESIGN.md §3, §6): a
 * script name and a location to a compiled script, a service of the run
 * context (sv_run.resolver). Personal names are NAME.sieve in the user's
 * sieve folder (~/sieve, the folder sieve-deliver reads the active script
 * from), compiled through the cache with the .svbin written beside them;
 * global names are NAME.sieve in the admin's folder (sift.conf
 * sieve-global), never written. sieve-testsuite points the two at the
 * test file's included/ and included-global/ folders. Names that could
 * leave their folder are refused (sv_script_name_check). A script is
 * loaded when an include first reaches it and kept for the delivery.
 */
enum sv_script_location { SV_SCRIPT_PERSONAL = 0, SV_SCRIPT_GLOBAL = 1 };

struct sv_script_resolver {
	const char *dirs[2];          /* by location; NULL: none configured */
	const struct sv_settings *settings; /* compile settings */
	bool no_save;                 /* write no personal .svbin either */
	struct sv_dlv_scripts loaded[2];
};

/* dirs are borrowed (they must outlive the resolver); NULL: none. */
void sv_dlv_resolver_init(struct sv_script_resolver *r, const char *personal,
			  const char *global, const struct sv_settings *settings);
void sv_dlv_resolver_free(struct sv_script_resolver *r);

/* "personal" or "global". */
const char *sv_script_location_name(enum sv_script_location loc);

/*
 * The compiled script of that name. SV_OK: *bin_r is ready (owned by the
 * resolver). SV_FAIL with *missing_r when the script does not exist (an
 * optional include then does nothing), else with the reason in err (an
 * invalid name, no folder configured, compile errors). SV_TEMPFAIL: it
 * could not be read for now.
 */
enum sv_status sv_dlv_resolve(struct sv_script_resolver *r, enum sv_script_location loc,
			      const char *name, size_t len, const struct sv_binary **bin_r,
			      bool *missing_r, struct sv_buf *err);

#endif
