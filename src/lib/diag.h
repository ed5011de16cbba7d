/*
 * diag.h: compile diagnostics (DESIGN.md §8): a list of
 * {severity, file, line, column, message}, rendered gcc-style with the
 * source line and a caret.
 */
#ifndef SV_DIAG_H
#define SV_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"

enum sv_severity { SV_DIAG_ERROR, SV_DIAG_WARNING, SV_DIAG_NOTE };

/* A position in a script: line and column start at 1; column counts UTF-8
 * code points. width is how many columns the caret underlines (>= 1). */
struct sv_loc {
	unsigned line, col;
	unsigned width;
};

struct sv_diag {
	enum sv_severity sev;
	struct sv_loc loc; /* line 0: no location */
	char *msg;
};

struct sv_diags {
	struct sv_diag *v;
	size_t n, cap;
	size_t errors, warnings;
	size_t max_errors;  /* 0: the default cap (limits.h) */
	bool truncated;     /* errors were dropped after max_errors */
};

void sv_diags_init(struct sv_diags *d);
void sv_diags_free(struct sv_diags *d);
void sv_diags_clear(struct sv_diags *d);
/* Add a diagnostic; the message is sanitised (no raw control bytes) and
 * cut at 1 KiB. Errors past max_errors are only counted. */
void sv_diag_add(struct sv_diags *d, enum sv_severity sev, struct sv_loc loc,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void sv_diag_vadd(struct sv_diags *d, enum sv_severity sev, struct sv_loc loc,
		  const char *fmt, va_list ap);
#define sv_diag_error(d, loc, ...) sv_diag_add((d), SV_DIAG_ERROR, (loc), __VA_ARGS__)
#define sv_diag_warning(d, loc, ...) sv_diag_add((d), SV_DIAG_WARNING, (loc), __VA_ARGS__)

/* Render every diagnostic: "file:line:col: error: msg", then (when src is
 * given) the source line and a caret line, as gcc does. Bounded whatever
 * the script: a line longer than 120 characters is shown as a window of
 * 120 around the column ("..." where cut, never inside a character), the
 * caret and its ~~~ within it; control bytes, malformed UTF-8 and invisible
 * characters are escaped with the caret still under them. The whole
 * rendering stops before SV_DIAG_MAX_OUTPUT bytes; a last note counts the
 * errors not shown (dropped after max_errors or by that cap). */
void sv_diags_render(const struct sv_diags *d, struct sv_buf *out, const char *file,
		     const char *src, size_t srclen);

/* Sort by position, keeping insertion order for equal positions. */
void sv_diags_sort(struct sv_diags *d);

#endif
