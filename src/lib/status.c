/*
 * status.c: names of the status codes.
 */
#include "status.h"

const char *sv_status_name(enum sv_status st)
{
	switch (st) {
	case SV_OK: return "ok";
	case SV_FAIL: return "failed";
	case SV_TEMPFAIL: return "temporary failure";
	case SV_CORRUPT: return "corrupt";
	case SV_LIMIT: return "resource limit exceeded";
	case SV_NOMEM: return "out of memory";
	}
	return "unknown";
}
