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
	    .save = !s->global,
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
