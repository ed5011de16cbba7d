/*
 * match.c: the match types every script has (RFC 5228 §2.7.1):
 *   :is, :contains and :matches (with \* and \? escapes, and the match
 *   variables of RFC 5229 §3.2 for :matches).
 *
 * :matches runs the classic single-backtrack glob algorithm: each '*'
 * first matches nothing and only the most recent '*' is ever extended, so
 * the cost is O(value x pattern) whatever the pattern, and earlier
 * wildcards take the shortest span (RFC 5229 §3.2's examples). Wildcards
 * count octets under i;octet and i;ascii-casemap, characters of the value
 * under a comparator that prepares strings (unit_len).
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
 * What one '?' takes, and what a '*' grows by, at offset i: one unit of
 * the comparator (RFC 5228 §2.7.1). i;octet and i;ascii-casemap work on
 * octets (RFC 4790 §9.2, §9.3), so "?ber" does not match "Über", whose
 * "Ü" is two octets. A comparator that prepares strings (canon, such as
 * i;unicode-casemap, RFC 5051) marks in units where the form of each
 * character of the value begins: one unit is then one character of the
 * value, whatever its prepared form's length ("Ä" is "A" and a combining
 * diaeresis, "ﬁ" is "fi").
 */
static size_t unit_len(const unsigned char *units, size_t i, size_t n)
{
	if (!units)
		return 1;
	size_t e = i + 1;
	while (e < n && !units[e])
		e++;
	return e - i;
}

bool sv_glob_match(const struct sv_cmp_def *cmp, const char *val, size_t vlen, const char *pat,
		   size_t plen, struct sv_match_state *ms)
{
	return sv_glob_match_units(cmp, val, vlen, NULL, pat, plen, ms);
}

bool sv_glob_match_units(const struct sv_cmp_def *cmp, const char *val, size_t vlen,
			 const unsigned char *units, const char *pat, size_t plen,
			 struct sv_match_state *ms)
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
					size_t l = unit_len(units, vi, vlen);
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
		star_v += unit_len(units, star_v, vlen);
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

/* Literal text of a pattern in canonical form, its wildcard characters
 * escaped so that they stay literal. */
static enum sv_status canon_literal(const struct sv_cmp_def *cmp, const struct sv_buf *lit,
				    size_t limit, struct sv_buf *tmp, struct sv_buf *out)
{
	sv_buf_reset(tmp);
	enum sv_status st = cmp->canon(lit->p ? lit->p : "", lit->len, limit - out->len, tmp, NULL);
	for (size_t i = 0; i < tmp->len && st == SV_OK; i++) {
		char c = tmp->p[i];
		if (c == '*' || c == '?' || c == '\\')
			sv_buf_putc(out, '\\');
		sv_buf_putc(out, c);
		if (out->len > limit)
			st = SV_LIMIT;
	}
	return st;
}

enum sv_status sv_glob_canon(const struct sv_cmp_def *cmp, const char *pat, size_t plen,
			     size_t max, struct sv_buf *out)
{
	if (plen > max)
		return SV_LIMIT;
	sv_buf_reserve(out, plen);
	/* (an escaped octet that is not UTF-8 is one character, as canon
	 * takes it: sv_utf8_char_len) */
	size_t limit = out->len + max;
	/* literal runs are prepared whole, between the wildcards */
	struct sv_buf lit = SV_BUF_INIT, tmp = SV_BUF_INIT;
	enum sv_status st = SV_OK;
	for (size_t i = 0; i < plen && st == SV_OK; i++) {
		char c = pat[i];
		if (c == '\\' && i + 1 < plen) {
			size_t l = sv_utf8_char_len(pat + i + 1, plen - i - 1);
			sv_buf_append(&lit, pat + i + 1, l);
			i += l;
		} else if (c == '*' || c == '?') {
			st = canon_literal(cmp, &lit, limit, &tmp, out);
			sv_buf_reset(&lit);
			if (out->len < limit)
				sv_buf_putc(out, c);
			else
				st = SV_LIMIT;
		} else {
			sv_buf_putc(&lit, c);
		}
	}
	if (st == SV_OK)
		st = canon_literal(cmp, &lit, limit, &tmp, out);
	sv_buf_free(&lit);
	sv_buf_free(&tmp);
	return st;
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
