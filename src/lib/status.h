/*
 * status.h: the status codes every fallible sift function returns.
 * DESIGN.md §8: no longjmp; a failure travels up as one of these.
 */
#ifndef SV_STATUS_H
#define SV_STATUS_H

enum sv_status {
	SV_OK = 0,    /* done */
	SV_FAIL,      /* a permanent failure: bad input, a script error */
	SV_TEMPFAIL,  /* a temporary failure: try again later */
	SV_CORRUPT,   /* a binary or a stored file is damaged */
	SV_LIMIT,     /* a budget of limits.h was exceeded */
	SV_NOMEM,     /* out of memory */
};

/* A short lowercase name for a status ("ok", "corrupt", ...). */
const char *sv_status_name(enum sv_status st);

#endif
