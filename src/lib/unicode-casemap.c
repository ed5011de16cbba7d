/*
 * unicode-casemap.c: the titlecased canonicalized form of RFC 5051 §2
 * (see unicode-casemap.h). The per-code-point forms come from the
 * generated table; this file adds the Hangul syllables (Unicode §3.12,
 * which UnicodeData.txt gives as a range without mappings) and the
 * string walk.
 */
#include "lib/unicode-casemap.h"

#include <string.h>

#include "lib/unicode-casemap-int.h"
#include "lib/utf8.h"

/* Unicode §3.12, Hangul syllable decomposition */
enum {
	HANGUL_S = 0xac00, HANGUL_L = 0x1100, HANGUL_V = 0x1161, HANGUL_T = 0x11a7,
	HANGUL_VCOUNT = 21, HANGUL_TCOUNT = 28,
	HANGUL_NCOUNT = HANGUL_VCOUNT * HANGUL_TCOUNT, HANGUL_SCOUNT = 19 * HANGUL_NCOUNT,
};

const char *sv_ucm_version(void)
{
	return sv_ucm_unicode_version;
}

/* The table's form of cp (length in *len_r), or NULL when cp is its own. */
static const char *table_form(uint32_t cp, size_t *len_r)
{
	unsigned e = sv_ucm_blocks[sv_ucm_level1[cp >> SV_UCM_SHIFT]][cp & ((1u << SV_UCM_SHIFT) - 1)];
	if (!e)
		return NULL;
	*len_r = sv_ucm_pool[e];
	return (const char *)&sv_ucm_pool[e + 1];
}

size_t sv_ucm_form(uint32_t cp, char *out)
{
	if (cp >= 0x110000)
		return 0;
	if (cp - HANGUL_S < HANGUL_SCOUNT) {
		uint32_t si = cp - HANGUL_S;
		size_t n = sv_utf8_encode(HANGUL_L + si / HANGUL_NCOUNT, out);
		n += sv_utf8_encode(HANGUL_V + si % HANGUL_NCOUNT / HANGUL_TCOUNT, out + n);
		if (si % HANGUL_TCOUNT)
			n += sv_utf8_encode(HANGUL_T + si % HANGUL_TCOUNT, out + n);
		return n;
	}
	size_t len;
	const char *f = table_form(cp, &len);
	if (f) {
		memcpy(out, f, len);
		return len;
	}
	return sv_utf8_encode(cp, out);
}

/* The code point at s[0] (non-ASCII) and its octets: a UTF-8 sequence,
 * or, RFC 5051 §2 (1)(b), one octet that is not part of one, taken as
 * the ISO-8859-1 character of that value. Preparing and mapping offsets
 * back both read the string with this. */
static size_t next_cp(const char *s, size_t n, uint32_t *cp)
{
	size_t l = sv_utf8_decode(s, n, cp);
	if (l)
		return l;
	*cp = (unsigned char)s[0];
	return 1;
}

enum sv_ucm_result sv_ucm_canon(const char *s, size_t len, size_t max, struct sv_buf *out,
				struct sv_buf *units)
{
	if (len > max)
		return SV_UCM_TOO_LONG;
	/* validated as it is read: one pass over the string */
	enum sv_ucm_result res = SV_UCM_PREPARED;
	size_t limit = out->len + max;
	/* most forms are as long as their character: one reservation */
	sv_buf_reserve(out, len);
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			/* ASCII: only a-z have a titlecase mapping, and none decomposes */
			size_t j = i;
			while (j < len && (unsigned char)s[j] < 0x80)
				j++;
			if (j - i > limit - out->len)
				return SV_UCM_TOO_LONG;
			sv_buf_reserve(out, j - i);
			for (size_t k = i; k < j; k++)
				out->p[out->len++] = (char)sv_ascii_upper((unsigned char)s[k]);
			if (units) {
				sv_buf_reserve(units, j - i);
				memset(units->p + units->len, 1, j - i);
				units->len += j - i;
			}
			i = j;
			continue;
		}
		uint32_t cp;
		size_t l = next_cp(s + i, len - i, &cp);
		if (l == 1)
			res = SV_UCM_NOT_UTF8; /* a lone octet >= 0x80 */
		char form[SV_UCM_FORM_MAX];
		size_t n = sv_ucm_form(cp, form);
		if (n > limit - out->len)
			return SV_UCM_TOO_LONG;
		sv_buf_append(out, form, n);
		if (units) {
			sv_buf_reserve(units, n);
			units->p[units->len] = 1;
			memset(units->p + units->len + 1, 0, n - 1);
			units->len += n;
		}
		i += l;
	}
	out->p[out->len] = '\0';
	return res;
}

void sv_ucm_source_offsets(const char *s, size_t len, size_t *off, const bool *end, size_t n)
{
	/* one walk over s for all the offsets (they are in order) */
	size_t k = 0, i = 0, at = 0;
	char form[SV_UCM_FORM_MAX];
	while (k < n && i < len) {
		uint32_t cp = 0;
		size_t l = (unsigned char)s[i] < 0x80 ? 1 : next_cp(s + i, len - i, &cp);
		size_t fl = (unsigned char)s[i] < 0x80 ? 1 : sv_ucm_form(cp, form);
		for (; k < n && off[k] < at + fl; k++)
			off[k] = off[k] > at && end[k] ? i + l : i;
		at += fl;
		i += l;
	}
	for (; k < n; k++)
		off[k] = len;
}

size_t sv_ucm_source_offset(const char *s, size_t len, size_t off, bool end)
{
	sv_ucm_source_offsets(s, len, &off, &end, 1);
	return off;
}
