/*
 * utf8.c: UTF-8 validity (RFC 3629) and ASCII case folding tables.
 */
#include "utf8.h"

size_t sv_utf8_decode(const char *s, size_t n, uint32_t *cp_r)
{
	if (n == 0)
		return 0;
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	size_t len;
	if (u[0] < 0x80) {
		*cp_r = u[0];
		return 1;
	} else if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		cp = u[0] & 0x1f;
		len = 2;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		cp = u[0] & 0x0f;
		len = 3;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		cp = u[0] & 0x07;
		len = 4;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (u[i] & 0x3f);
	}
	/* RFC 3629 §3: no overlong forms, no surrogates, nothing above U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_r = cp;
	return len;
}

size_t sv_utf8_seq_len(const char *s, size_t n)
{
	uint32_t cp;
	return sv_utf8_decode(s, n, &cp);
}

size_t sv_utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	} else if (cp < 0x10000) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			return 0;
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	} else if (cp <= 0x10ffff) {
		out[0] = (char)(0xf0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		return 4;
	}
	return 0;
}

bool sv_utf8_valid(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		size_t l = sv_utf8_seq_len(s + i, n - i);
		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

size_t sv_utf8_count(const char *s, size_t n)
{
	size_t i = 0, count = 0;
	while (i < n) {
		i += sv_utf8_char_len(s + i, n - i);
		count++;
	}
	return count;
}

bool sv_ascii_ieq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (sv_ascii_lower((unsigned char)a[i]) != sv_ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

bool sv_ascii_ieqz(const char *a, const char *b)
{
	for (;; a++, b++) {
		if (sv_ascii_lower((unsigned char)*a) != sv_ascii_lower((unsigned char)*b))
			return false;
		if (!*a)
			return true;
	}
}

int sv_ascii_icmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	for (size_t i = 0; i < n; i++) {
		int ca = sv_ascii_lower((unsigned char)a[i]);
		int cb = sv_ascii_lower((unsigned char)b[i]);
		if (ca != cb)
			return ca - cb;
	}
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}
