/*
 * comparator.c: the comparators of RFC 4790 that sift has:
 *   i;octet (§9.3) and i;ascii-casemap (§9.2), which every script has
 *   (RFC 5228 §2.7.3), i;ascii-numeric (§9.1), which needs
 *   require "comparator-i;ascii-numeric", and i;unicode-casemap
 *   (RFC 5051), which needs require "comparator-i;unicode-casemap".
 * Case folding never depends on the locale.
 */
#include <string.h>

#include "ext/registry.h"
#include "lib/unicode-casemap.h"
#include "lib/utf8.h"
#include "vm/vm.h"

static int octet_compare(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static bool octet_contains(const char *h, size_t hlen, const char *n, size_t nlen)
{
	if (nlen == 0)
		return true;
	return memmem(h, hlen, n, nlen) != NULL;
}

static bool octet_char_eq(unsigned char a, unsigned char b)
{
	return a == b;
}

static unsigned char octet_fold(unsigned char c)
{
	return c;
}

/* RFC 4790 §9.2: i;ascii-casemap folds a-z onto A-Z, then compares octets */
static int casemap_compare(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	for (size_t i = 0; i < n; i++) {
		unsigned char x = sv_ascii_upper((unsigned char)a[i]);
		unsigned char y = sv_ascii_upper((unsigned char)b[i]);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static bool casemap_contains(const char *h, size_t hlen, const char *n, size_t nlen)
{
	if (nlen == 0)
		return true;
	if (nlen > hlen)
		return false;
	unsigned char first = sv_ascii_lower((unsigned char)n[0]);
	unsigned char first_up = sv_ascii_upper((unsigned char)n[0]);
	size_t last = hlen - nlen;
	for (size_t i = 0; i <= last; i++) {
		unsigned char c = (unsigned char)h[i];
		if (c != first && c != first_up)
			continue;
		size_t j = 1;
		while (j < nlen && sv_ascii_lower((unsigned char)h[i + j]) ==
					   sv_ascii_lower((unsigned char)n[j]))
			j++;
		if (j == nlen)
			return true;
	}
	return false;
}

static bool casemap_char_eq(unsigned char a, unsigned char b)
{
	return sv_ascii_lower(a) == sv_ascii_lower(b);
}

static unsigned char casemap_fold(unsigned char c)
{
	return sv_ascii_lower(c);
}

/*
 * RFC 4790 §9.1.1: i;ascii-numeric compares the numbers the strings begin
 * with; a string that does not begin with a digit is positive infinity.
 * Numbers of any length compare correctly (no overflow).
 */
static int numeric_compare(const char *a, size_t alen, const char *b, size_t blen)
{
	bool ainf = alen == 0 || !sv_ascii_isdigit((unsigned char)a[0]);
	bool binf = blen == 0 || !sv_ascii_isdigit((unsigned char)b[0]);
	if (ainf || binf)
		return ainf == binf ? 0 : ainf ? 1 : -1;
	size_t i = 0, j = 0;
	while (i < alen && a[i] == '0')
		i++;
	while (j < blen && b[j] == '0')
		j++;
	size_t ae = i, be = j;
	while (ae < alen && sv_ascii_isdigit((unsigned char)a[ae]))
		ae++;
	while (be < blen && sv_ascii_isdigit((unsigned char)b[be]))
		be++;
	size_t an = ae - i, bn = be - j;
	if (an != bn)
		return an < bn ? -1 : 1;
	int c = an ? memcmp(a + i, b + j, an) : 0;
	return c < 0 ? -1 : c > 0 ? 1 : 0;
}

const struct sv_cmp_def sv_cmp_octet = {
	.name = "i;octet",
	.compare = octet_compare,
	.contains = octet_contains,
	.char_eq = octet_char_eq,
	.fold = octet_fold,
};

const struct sv_cmp_def sv_cmp_ascii_casemap = {
	.name = "i;ascii-casemap",
	.compare = casemap_compare,
	.contains = casemap_contains,
	.char_eq = casemap_char_eq,
	.fold = casemap_fold,
};

const struct sv_cmp_def sv_cmp_ascii_numeric = {
	.name = "i;ascii-numeric",
	.compare = numeric_compare,
};

/*
 * RFC 5051 §2: i;unicode-casemap prepares each string (its "titlecased
 * canonicalized UTF-8" form, lib/unicode-casemap.c) and then offers
 * equality, substring and ordering as i;octet does on the prepared
 * strings. The matching core prepares keys and values through canon, so
 * the operations here are i;octet's; :matches counts characters of the
 * value (the units canon marks).
 */
static enum sv_status unicode_canon(const char *s, size_t len, size_t max, struct sv_buf *out,
				     struct sv_buf *units)
{
	return sv_ucm_canon(s, len, max, out, units) == SV_UCM_TOO_LONG ? SV_LIMIT : SV_OK;
}

const struct sv_cmp_def sv_cmp_unicode_casemap = {
	.name = "i;unicode-casemap",
	.compare = octet_compare,
	.contains = octet_contains,
	.char_eq = octet_char_eq,
	.fold = octet_fold,
	.canon = unicode_canon,
	.canon_offsets = sv_ucm_source_offsets,
};
