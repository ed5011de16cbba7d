/*
 * utf8.h: UTF-8 validity and locale-independent ASCII helpers.
 *
 * STYLE.md: no tolower/isalpha/strcasecmp on script or message data; these
 * are fixed tables that behave the same under every locale.
 */
#ifndef SV_UTF8_H
#define SV_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the well-formed UTF-8 sequence at s (1..4), 0 when malformed
 * (overlong, surrogate, beyond U+10FFFF, truncated). */
size_t sv_utf8_seq_len(const char *s, size_t n);
/* Decode one sequence; returns its length or 0 when malformed. */
size_t sv_utf8_decode(const char *s, size_t n, uint32_t *cp_r);
/* Encode a code point (<= 0x10FFFF, not a surrogate) into out[4]. */
size_t sv_utf8_encode(uint32_t cp, char out[4]);
bool sv_utf8_valid(const char *s, size_t n);
/* Number of code points in valid UTF-8 (malformed bytes count one each). */
size_t sv_utf8_count(const char *s, size_t n);
/* Bytes of the character at s (n >= 1) as columns count them: a UTF-8
 * sequence, or one byte when malformed (the lexer's columns, the
 * diagnostics' caret and sv_utf8_count agree on this). */
static inline size_t sv_utf8_char_len(const char *s, size_t n)
{
	if ((unsigned char)*s < 0x80)
		return 1;
	size_t l = sv_utf8_seq_len(s, n);
	return l ? l : 1;
}

static inline unsigned char sv_ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}
static inline unsigned char sv_ascii_upper(unsigned char c)
{
	return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 32) : c;
}
static inline bool sv_ascii_isdigit(unsigned char c)
{
	return c >= '0' && c <= '9';
}
static inline bool sv_ascii_isalpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline bool sv_ascii_isspace(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* ASCII case-insensitive comparisons (i;ascii-casemap folding). */
bool sv_ascii_ieq(const char *a, size_t alen, const char *b, size_t blen);
/* NUL-terminated convenience form. */
bool sv_ascii_ieqz(const char *a, const char *b);
int sv_ascii_icmp(const char *a, size_t alen, const char *b, size_t blen);

#endif
