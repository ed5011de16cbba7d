/*
 * match.c: the match types every script has (RFC 5228 §2.7.1):
 *   :is, :contains and :matches (with \* and \? escapes, and the match
 *   variables of RFC 5229 §3.2 for :matches).
 *
 * :matches runs the classic single-backtrack glob algorithm: each '*'
 * first matches nothing and only the most recent '*' is ever extended, so
 * the cost is O(value x pattern) whatever the pattern, and earlier
 * wildcards take the shortest span (RFC 5229 §3.2's examples). Wildcards
 * count octets under i;octet and i;ascii-casemap (unit_len).
 */
#include <string.h>

#include "lib/utf8.h"
#include "vm/vm.h"

static bool is_match(const struct sv_cmp_def *cmp, unsigned rel, const char *val, size_t vlen,
		     const char *key, size_t klen, void *state, struct sv_match_state *ms)
{
	return cmp->compare(val, vlen, key, klen) == 0;
}

static bool contains_match(const struct sv_cmp_def *cmp, unsigned rel, const char *val,
			   size_t vlen, const char *key, size_t klen, void *state,
			   struct sv_match_state *ms)
{
	return cmp->contains(val, vlen, key, klen);
}

/* One pattern element. */
struct gpart {
	char kind;  /* '*', '?', or 'c' (literal character) */
	unsigned char c;
};

/*
 * What one '?' takes, and what a '*' grows by, at s: one unit of the
 * comparator (RFC 5228 §2.7.1). i;octet and i;ascii-casemap work on
 * octets (RFC 4790 §9.2, §9.3), so "?ber" does not match "Über", whose
 * "Ü" is two octets. A comparator that works on characters (such as
 * i;unicode-casemap, RFC 5051) takes one UTF-8 sequence, or one byte
 * where the value is not UTF-8.
 */
static size_t unit_len(const struct sv_cmp_def *cmp, const char *s, size_t n)
{
	if (cmp == &sv_cmp_octet || cmp == &sv_cmp_ascii_casemap)
		return 1;
	return sv_utf8_char_len(s, n);
}

bool sv_glob_match(const struct sv_cmp_def *cmp, const char *val, size_t vlen, const char *pat,
		   size_t plen, struct sv_match_state *ms)
{
	/* compile the pattern: undo escapes */
	struct gpart stackbuf[256];
	struct gpart *parts = stackbuf;
	struct sv_buf heap = SV_BUF_INIT;
	if (plen > 256) {
		sv_buf_reserve(&heap, plen * sizeof(struct gpart));
		parts = (struct gpart *)(void *)heap.p;
	}
	size_t np = 0, nwild = 0;
	for (size_t i = 0; i < plen; i++) {
		char c = pat[i];
		if (c == '\\' && i + 1 < plen) {
			parts[np].kind = 'c';
			parts[np++].c = (unsigned char)pat[++i];
		} else if (c == '*' || c == '?') {
			/* "**" behaves as one '*' but each still captures */
			parts[np].kind = c;
			parts[np++].c = 0;
			nwild++;
		} else {
			parts[np].kind = 'c';
			parts[np++].c = (unsigned char)c;
		}
	}
	/* capture positions per wildcard */
	size_t capbuf[2 * 64];
	size_t ncap = nwild < 63 ? nwild : 63;
	size_t wi = 0;  /* wildcard index of parts[pi] */
	size_t pi = 0, vi = 0;
	size_t star_p = (size_t)-1, star_v = 0, star_w = 0;
	bool ok;
	for (;;) {
		if (pi < np) {
			const struct gpart *g = &parts[pi];
			if (g->kind == '*') {
				star_p = pi;
				star_v = vi;
				star_w = wi;
				if (wi < ncap) {
					capbuf[2 * wi] = vi;
					capbuf[2 * wi + 1] = vi;
				}
				wi++;
				pi++;
				continue;
			}
			if (vi < vlen) {
				if (g->kind == '?') {
					size_t l = unit_len(cmp, val + vi, vlen - vi);
					if (wi < ncap) {
						capbuf[2 * wi] = vi;
						capbuf[2 * wi + 1] = vi + l;
					}
					wi++;
					vi += l;
					pi++;
					continue;
				}
				if (cmp->char_eq((unsigned char)val[vi], g->c)) {
					vi++;
					pi++;
					continue;
				}
			}
		} else if (vi == vlen) {
			ok = true;
			break;
		}
		/* mismatch: extend the most recent '*' by one character */
		if (star_p == (size_t)-1 || star_v >= vlen) {
			ok = false;
			break;
		}
		star_v += unit_len(cmp, val + star_v, vlen - star_v);
		vi = star_v;
		pi = star_p + 1;
		wi = star_w + 1;
		if (star_w < ncap)
			capbuf[2 * star_w + 1] = star_v;
	}
	if (ok && ms && ms->active) {
		ms->n = ncap + 1;
		ms->v[0].p = val;
		ms->v[0].len = vlen;
		for (size_t k = 0; k < ncap; k++) {
			ms->v[k + 1].p = val + capbuf[2 * k];
			ms->v[k + 1].len = capbuf[2 * k + 1] - capbuf[2 * k];
		}
	}
	sv_buf_free(&heap);
	return ok;
}

static bool matches_match(const struct sv_cmp_def *cmp, unsigned rel, const char *val,
			  size_t vlen, const char *key, size_t klen, void *state,
			  struct sv_match_state *ms)
{
	return sv_glob_match(cmp, val, vlen, key, klen, ms);
}

const struct sv_match_def sv_match_is = {
	.name = "is",
	.match = is_match,
};

const struct sv_match_def sv_match_contains = {
	.name = "contains",
	.needs_contains = true,
	.match = contains_match,
};

const struct sv_match_def sv_match_matches = {
	.name = "matches",
	.needs_glob = true,
	.captures = true,
	.match = matches_match,
};
