/*
 * scripts.c: the scripts of a delivery and their compiled-script cache
 * (scripts.h).
 */
#include "delivery/scripts.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/alloc.h"
#include "lib/diag.h"
#include "parser/script.h"

void sv_dlv_scripts_init(struct sv_dlv_scripts *s)
{
	memset(s, 0, sizeof *s);
}

void sv_dlv_scripts_free(struct sv_dlv_scripts *s)
{
	for (size_t i = 0; i < s->n; i++) {
		sv_free(s->v[i].path);
		sv_free(s->v[i].name);
		sv_bin_free(s->v[i].bin);
	}
	sv_free(s->v);
	memset(s, 0, sizeof *s);
}

void sv_dlv_scripts_add_file(struct sv_dlv_scripts *s, const char *path, bool global,
			     bool missing_ok)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4;
		s->v = sv_realloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = (struct sv_dlv_script){
	    .path = sv_strdup(path),
	    .name = sv_strdup(path),
	    .global = global,
	    .missing_ok = missing_ok,
	};
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void sv_dlv_scripts_add_folder(struct sv_dlv_scripts *s, const char *dir, bool global)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l <= 6 || strcmp(e->d_name + l - 6, ".sieve") != 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			names = sv_realloc(names, cap * sizeof *names);
		}
		names[n++] = sv_strdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	struct sv_buf p = SV_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		sv_buf_reset(&p);
		sv_buf_printf(&p, "%s/%s", dir, names[i]);
		sv_dlv_scripts_add_file(s, p.p, global, false);
		sv_free(names[i]);
	}
	sv_buf_free(&p);
	sv_free(names);
}

enum sv_status sv_dlv_script_load(struct sv_dlv_script *s, const struct sv_settings *set,
				  struct sv_buf *text)
{
	struct stat st;
	if (stat(s->path, &st) != 0) {
		int e = errno;
		s->missing = e == ENOENT || e == ENOTDIR;
		sv_buf_printf(text, "%s: cannot open script: %s", s->name, strerror(e));
		return s->missing || e == EACCES || e == ELOOP || e == ENAMETOOLONG ? SV_FAIL
										     : SV_TEMPFAIL;
	}
	if (!S_ISREG(st.st_mode)) {
		sv_buf_printf(text, "%s: not a regular file", s->name);
		return SV_FAIL;
	}
	/* the binary goes beside the script the symlink points to
	   (~/.sieve -> sieve/main.sieve caches sieve/main.svbin) */
	char real[PATH_MAX];
	const char *path = realpath(s->path, real) ? real : s->path;
	struct sv_script_options o = {
	    .compile = {.settings = set},
	    .use_cache = true,
	    .save = !s->global && !s->no_save,
	};
	struct sv_diags diags;
	sv_diags_init(&diags);
	struct sv_buf src = SV_BUF_INIT, err = SV_BUF_INIT;
	enum sv_status r = sv_script_open(path, &o, &s->bin, &diags, &src, &err);
	if (r == SV_OK && s->global) {
		/* was the cache used? A global binary we compiled is stale */
		struct sv_buf bp = SV_BUF_INIT;
		struct stat bs;
		sv_script_binary_path(path, &bp);
		s->stale = !sv_script_is_binary(path, NULL, 0) &&
			   (stat(bp.p, &bs) != 0 || bs.st_mtime < st.st_mtime);
		sv_buf_free(&bp);
	}
	if (r != SV_OK) {
		sv_diags_render(&diags, text, s->name, src.p, src.len);
		if (err.len) {
			sv_buf_printf(text, "%s: %s%s", s->name, r == SV_CORRUPT ? "error: " : "",
				      err.p);
		}
		if (!text->len)
			sv_buf_printf(text, "%s: %s", s->name, sv_status_name(r));
		/* a binary given as the script that does not load is the
		   script's fault, not a passing problem */
		if (r == SV_CORRUPT || r == SV_LIMIT)
			r = SV_FAIL;
	}
	sv_diags_free(&diags);
	sv_buf_free(&src);
	sv_buf_free(&err);
	return r;
}

/* ---- the include resolver ---- */

void sv_dlv_resolver_init(struct sv_script_resolver *r, const char *personal,
			  const char *global, const struct sv_settings *settings)
{
	memset(r, 0, sizeof *r);
	r->dirs[SV_SCRIPT_PERSONAL] = personal;
	r->dirs[SV_SCRIPT_GLOBAL] = global;
	r->settings = settings;
	sv_dlv_scripts_init(&r->loaded[0]);
	sv_dlv_scripts_init(&r->loaded[1]);
}

void sv_dlv_resolver_free(struct sv_script_resolver *r)
{
	sv_dlv_scripts_free(&r->loaded[0]);
	sv_dlv_scripts_free(&r->loaded[1]);
	memset(r, 0, sizeof *r);
}

const char *sv_script_location_name(enum sv_script_location loc)
{
	return loc == SV_SCRIPT_GLOBAL ? "global" : "personal";
}

enum sv_status sv_dlv_resolve(struct sv_script_resolver *r, enum sv_script_location loc,
			      const char *name, size_t len, const struct sv_binary **bin_r,
			      bool *missing_r, struct sv_buf *err)
{
	*bin_r = NULL;
	*missing_r = false;
	if (loc != SV_SCRIPT_PERSONAL && loc != SV_SCRIPT_GLOBAL) {
		sv_buf_puts(err, "unknown script location");
		return SV_FAIL;
	}
	/* checked again here: a name may come from a binary of any origin */
	if (!sv_script_name_check(name, len, err))
		return SV_FAIL;
	if (!r->dirs[loc] || !r->dirs[loc][0]) {
		sv_buf_printf(err, "no folder of %s scripts is configured",
			      sv_script_location_name(loc));
		return SV_FAIL;
	}
	struct sv_buf path = SV_BUF_INIT;
	sv_buf_printf(&path, "%s/", r->dirs[loc]);
	sv_buf_append(&path, name, len);
	sv_buf_puts(&path, ".sieve");
	struct sv_dlv_scripts *ld = &r->loaded[loc];
	for (size_t i = 0; i < ld->n; i++) {
		if (strcmp(ld->v[i].path, path.p) == 0 && ld->v[i].bin) {
			sv_buf_free(&path);
			*bin_r = ld->v[i].bin;
			return SV_OK;
		}
	}
	sv_dlv_scripts_add_file(ld, path.p, loc == SV_SCRIPT_GLOBAL, false);
	sv_buf_free(&path);
	struct sv_dlv_script *s = &ld->v[ld->n - 1];
	s->no_save = r->no_save;
	enum sv_status st = sv_dlv_script_load(s, r->settings, err);
	if (st != SV_OK) {
		*missing_r = s->missing;
		/* not kept: a later include tries again and says why again */
		sv_free(s->path);
		sv_free(s->name);
		sv_bin_free(s->bin);
		ld->n--;
		return st;
	}
	*bin_r = s->bin;
	return SV_OK;
}
