/*
 * unicode-casemap.h: the "titlecased canonicalized UTF-8" form of
 * RFC 5051 §2, on which the comparator i;unicode-casemap compares octets.
 *
 * Each code point becomes its titlecase mapping (UnicodeData.txt's simple
 * one), then that mapping's decomposition of any type, recursively
 * (NFKD without reordering of combining marks, as §2 (2)(b) and §4 item 2
 * allow); Hangul syllables decompose by algorithm. An octet that is not
 * part of a valid UTF-8 sequence (RFC 3629: no overlong forms, no
 * surrogates) is, as §2 (1)(b) says, the ISO-8859-1 character of its
 * value, prepared as any other: the rest of the string is prepared all
 * the same, so one stray octet cannot keep a value from matching.
 * Nothing depends on the locale.
 */
#ifndef SV_UNICODE_CASEMAP_H
#define SV_UNICODE_CASEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* Octets of the longest form of one code point. */
#define SV_UCM_FORM_MAX 255

/* The Unicode version the table was made from ("15.0.0"). */
const char *sv_ucm_version(void);

/* The form of one code point into out (SV_UCM_FORM_MAX octets); returns
 * its length. */
size_t sv_ucm_form(uint32_t cp, char *out);

/* What sv_ucm_canon did. */
enum sv_ucm_result {
	SV_UCM_PREPARED,  /* the form was appended */
	SV_UCM_NOT_UTF8,  /* the same, s holding octets taken as ISO-8859-1 */
	SV_UCM_TOO_LONG,  /* the form would pass max octets (out holds part) */
};

/*
 * The form of s, appended to out, at most max octets of it (a form can be
 * 11 times as long as its string: U+FDFA is 3 octets, its form 33).
 * units (may be NULL) gets one octet per octet appended to out: 1 where
 * the form of a character of s begins, else 0 (the characters of s, as
 * :matches counts them; an octet that is not UTF-8 is one).
 */
enum sv_ucm_result sv_ucm_canon(const char *s, size_t len, size_t max, struct sv_buf *out,
				struct sv_buf *units);

/* The offset in s of the character whose form holds offset off of s's
 * form: its start, or its end when end is true and off falls after its
 * start (an end offset of a span). off == the form's length gives len. */
size_t sv_ucm_source_offset(const char *s, size_t len, size_t off, bool end);
/* The same for n offsets at once, in one pass over s: off (ascending)
 * becomes the offsets in s, end[k] says how off[k] rounds. */
void sv_ucm_source_offsets(const char *s, size_t len, size_t *off, const bool *end, size_t n);

#endif
