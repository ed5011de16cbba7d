/*
 * lexer.re: the Sieve lexer (re2c), RFC 5228 §8.1 tokens, §2.3 comments,
 * §2.4 literal data (quoted strings, multi-line text:, numbers).
 *
 * Reentrant: all state lives in struct sv_lexer. The script is a byte
 * buffer with a length: the scanner reads it through a bounds-checked
 * YYPEEK and re2c's end-of-input rule, so it never reads past the end, and
 * a NUL byte is an error, not an end marker.
 *
 * re2c matches the short tokens; the bodies of strings, comments and text:
 * are scanned by hand (memchr), which keeps them fast and lets bytes that
 * are not UTF-8 through to one precise error instead of many.
 *
 * Lexical errors are reported and skipped, never returned as tokens: a bad
 * string is still a string to the grammar, so it causes no syntax error.
 *
 * Not done: encoded-character (RFC 5228 §2.4.2.4 extension) is the
 * validator's business; strings here are the decoded literal bytes.
 */
#include "parser/lex.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/utf8.h"

/* arena.c: memory the caller fills in completely. */

void sv_lex_init(struct sv_lexer *lx, const char *src, size_t len, struct sv_arena *arena,
		 struct sv_diags *diags)
{
	memset(lx, 0, sizeof *lx);
	lx->src = src;
	lx->cur = src;
	lx->lim = src + len;
	lx->arena = arena;
	lx->diags = diags;
	lx->pos = src;
	lx->line = 1;
	lx->col = 1;
	/* RFC 5228 §2.2 has scripts in UTF-8; Windows editors often start them
	 * with a byte order mark (EF BB BF). It means nothing in UTF-8 and is
	 * invisible in an editor, so it is skipped, not counted as a column. */
	if (len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0)
		lx->cur = lx->pos = src + 3;
}

/* Length of the character at s for column counting. */
static inline size_t char_len(const char *s, const char *e)
{
	return sv_utf8_char_len(s, (size_t)(e - s));
}

/* Move a line and column from byte s to byte e. */
static void walk(const char *s, const char *e, unsigned *line_r, unsigned *col_r)
{
	unsigned line = *line_r, col = *col_r;
	while (s < e) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n') {
			line++;
			col = 1;
			s++;
		} else if (c < 0x80) {
			col++;
			s++;
		} else {
			col++;
			s += char_len(s, e);
		}
	}
	*line_r = line;
	*col_r = col;
}

/* Bring line and column up to byte p (positions only move forward, so
 * every byte is visited about once). */
static inline void advance(struct sv_lexer *lx, const char *p)
{
	if (p <= lx->pos)
		return;
	walk(lx->pos, p, &lx->line, &lx->col);
	lx->pos = p;
}

/* A word that is all ASCII and on one line: identifiers, tags, numbers,
 * punctuation. */
static inline struct sv_loc loc_ascii(struct sv_lexer *lx, const char *s, const char *e)
{
	advance(lx, s);
	unsigned w = (unsigned)(e - s);
	struct sv_loc loc = {lx->line, lx->col, w ? w : 1};
	lx->pos = e;
	lx->col += w;
	return loc;
}

/* Bytes of [p, e) before the first that is not ASCII or is a line break. */
static inline size_t plain_run(const char *p, const char *e)
{
	const char *q = p;
	while (e - q >= 8) {
		uint64_t w;
		memcpy(&w, q, 8);
		const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
		uint64_t lf = w ^ (ones * '\n'), cr = w ^ (ones * '\r');
		uint64_t hit = (w | ((lf - ones) & ~lf) | ((cr - ones) & ~cr)) & high;
		if (hit)
			break;
		q += 8;
	}
	while (q < e && (unsigned char)*q < 0x80 && *q != '\n' && *q != '\r')
		q++;
	return (size_t)(q - p);
}

/* The location of [s, e): where s is, and how many code points the caret
 * should underline (up to the end of s's line, at least 1). */
static struct sv_loc loc_of(struct sv_lexer *lx, const char *s, const char *e)
{
	advance(lx, s);
	struct sv_loc loc = {lx->line, lx->col, 0};
	const char *p = s;
	for (;;) {
		size_t n = plain_run(p, e);
		loc.width += (unsigned)n;
		p += n;
		if (p >= e || *p == '\n' || *p == '\r')
			break;
		loc.width++;
		p += char_len(p, e);
	}
	if (p >= e) {
		/* the token is on one line: skip it for the next advance() */
		lx->pos = e;
		lx->col += loc.width;
	}
	if (loc.width == 0)
		loc.width = 1;
	return loc;
}

/* Report every NUL byte in [s, e), inside a token that starts at tok and
 * was located at at (the lexer's own position may be past them). */
static void report_nuls(struct sv_lexer *lx, struct sv_loc at, const char *tok, const char *s,
			const char *e)
{
	unsigned line = at.line, col = at.col;
	while (s < e) {
		const char *z = memchr(s, 0, (size_t)(e - s));
		if (!z)
			return;
		walk(tok, z, &line, &col);
		tok = z;
		struct sv_loc l = {line, col, 1};
		sv_diag_error(lx->diags, l, "nul byte in script");
		s = z + 1;
	}
}

static void set_tok(struct sv_lexer *lx, const char *s, const char *e)
{
	lx->tok = s;
	lx->toklen = (size_t)(e - s);
}

/*
 * RFC 5228 §8.1: inside a string a line break is CRLF (quoted-safe = CRLF
 * / octet-not-qspecial, which has neither CR nor LF), so a script saved
 * with LF line ends means the same as one saved with CRLF: each LF that
 * no CR precedes becomes CRLF. s (len bytes, NUL-terminated, in the
 * arena) is returned as is when it has none.
 */
static char *crlf_line_ends(struct sv_lexer *lx, char *s, size_t *len)
{
	size_t n = *len, bare = 0;
	for (const char *p = s; (p = memchr(p, '\n', n - (size_t)(p - s))) != NULL; p++)
		bare += p == s || p[-1] != '\r';
	if (bare == 0)
		return s;
	char *d = sv_arena_alloc_nozero(lx->arena, n + bare + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			d[k++] = '\r';
		d[k++] = s[i];
	}
	d[k] = '\0';
	*len = k;
	return d;
}

/*
 * RFC 5228 §2.4.2: quoted string. q points at the opening quote. "\\" and
 * "\"" are the escapes; any other backslash is dropped and the character
 * after it kept. Line breaks inside the string are CRLF (crlf_line_ends).
 */
static bool is_cut(const struct sv_lexer *lx, const char *q)
{
	for (size_t i = 0; i < lx->ncut; i++)
		if (lx->cut[i] == (size_t)(q - lx->src))
			return true;
	return false;
}

/*
 * A quoted string read as unterminated (lex.h, cut): it ends at its line's
 * end, but a '{' or ';' that ends the line is left to the grammar (the
 * quote was likely meant before it), so the block or the command still
 * closes where it was written.
 */
static void lex_cut_quoted(struct sv_lexer *lx, const char *q, struct sv_lex_str *out,
			   struct sv_loc *loc_r)
{
	const char *body = q + 1;
	const char *nl = memchr(body, '\n', (size_t)(lx->lim - body));
	const char *e = nl ? nl : lx->lim;
	if (e > body && e[-1] == '\r')
		e--;
	const char *t = e;
	while (t > body && (t[-1] == ' ' || t[-1] == '\t'))
		t--;
	if (t > body && (t[-1] == '{' || t[-1] == ';'))
		e = t - 1;
	struct sv_loc loc = loc_of(lx, q, e);
	*loc_r = loc;
	sv_diag_error(lx->diags, loc, "unterminated string");
	size_t n = (size_t)(e - body);
	char *s = sv_arena_alloc_nozero(lx->arena, n + 1);
	memcpy(s, body, n);
	s[n] = '\0';
	lx->cur = e;
	out->s = s;
	out->len = n;
	out->multiline = false;
}

static void lex_quoted(struct sv_lexer *lx, const char *q, struct sv_lex_str *out,
		       struct sv_loc *loc_r)
{
	if (lx->ncut && is_cut(lx, q)) {
		lex_cut_quoted(lx, q, out, loc_r);
		return;
	}
	const char *lim = lx->lim;
	const char *p = q + 1;
	size_t nesc = 0;
	bool odd = false; /* a NUL byte or a byte that is not ASCII */
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	while (p < lim) {
		/* eight plain bytes at a time */
		while (lim - p >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			uint64_t qd = w ^ (ones * '"'), bs = w ^ (ones * '\\');
			uint64_t hit = (w | ((qd - ones) & ~qd) | ((bs - ones) & ~bs) | ((w - ones) & ~w)) &
				       high;
			if (hit) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				/* the first flagged byte is a real hit: skip to it */
				p += __builtin_ctzll(hit) / 8;
#endif
				break;
			}
			p += 8;
		}
		if (p >= lim)
			break;
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c == '\\') {
			nesc++;
			if (p + 1 < lim) {
				unsigned char d = (unsigned char)p[1];
				if (d == 0 || d >= 0x80)
					odd = true;
				p += 2;
			} else {
				p += 1;
			}
			continue;
		}
		if (c == 0 || c >= 0x80)
			odd = true;
		p++;
	}
	bool closed = p < lim;
	const char *end = closed ? p + 1 : lim;
	struct sv_loc loc = loc_of(lx, q, end);
	*loc_r = loc;

	const char *body = q + 1, *body_end = closed ? p : lim;
	size_t n = (size_t)(body_end - body);
	char *s = sv_arena_alloc_nozero(lx->arena, n + 1);
	size_t len = 0;
	bool has_nul = odd && memchr(body, 0, n) != NULL;
	if (nesc == 0 && !has_nul) {
		memcpy(s, body, n);
		len = n;
	} else {
		for (const char *r = body; r < body_end; r++) {
			if (*r == '\\' && r + 1 < body_end)
				r++;
			else if (*r == '\\')
				continue; /* unterminated: a lone backslash at the end */
			if (*r == 0)
				continue; /* reported below */
			s[len++] = *r;
		}
	}
	s[len] = '\0';
	if (memchr(s, '\n', len)) {
		s = crlf_line_ends(lx, s, &len);
		if (closed && !lx->first_multiline)
			lx->first_multiline = (size_t)(q - lx->src) + 1;
	}
	lx->quote_at_eof = !closed;
	if (has_nul)
		report_nuls(lx, loc, q, body, body_end);
	if (!closed) {
		sv_diag_error(lx->diags, loc, "unterminated string");
		lx->hit_eof_error = true;
	} else if (odd && !sv_utf8_valid(s, len)) {
		sv_diag_error(lx->diags, loc, "invalid UTF-8 in string");
	}
	lx->cur = end;
	out->s = s;
	out->len = len;
	out->multiline = false;
}

/*
 * RFC 5228 §2.4.2: multi-line string. t points at "text:", body at the
 * first content line. Lines run up to one that is exactly "." (CRLF or
 * LF); a line starting with ".." loses its first dot. Every line of the
 * value ends with CRLF (§8.1: multiline-literal = [...] CRLF), whether the
 * script file ends its lines with CRLF or LF, so the value is the same
 * for both. A final "." without a line break at the very end of the
 * script is accepted too.
 */
static void lex_text(struct sv_lexer *lx, const char *t, const char *body,
		     struct sv_lex_str *out, struct sv_loc *loc_r)
{
	const char *lim = lx->lim;
	const char *line = body;
	const char *content_end = NULL, *end = lim;
	size_t nstuffed = 0, nbare = 0; /* dot-stuffed lines, lines ending in LF alone */
	while (line < lim) {
		const char *nl = memchr(line, '\n', (size_t)(lim - line));
		const char *eol = nl ? nl : lim;
		const char *ce = eol;
		if (ce > line && ce[-1] == '\r')
			ce--;
		if (ce - line == 1 && line[0] == '.') {
			content_end = line;
			end = nl ? nl + 1 : lim;
			break;
		}
		if (eol - line >= 2 && line[0] == '.' && line[1] == '.')
			nstuffed++;
		if (nl && ce == eol)
			nbare++;
		if (!nl)
			break;
		line = nl + 1;
	}
	bool closed = content_end != NULL;
	if (!closed)
		content_end = lim;
	struct sv_loc loc = loc_of(lx, t, end);
	*loc_r = loc;

	size_t n = (size_t)(content_end - body);
	char *s = sv_arena_alloc_nozero(lx->arena, n + nbare + 1);
	size_t len = 0;
	if (nstuffed == 0 && nbare == 0) {
		memcpy(s, body, n);
		len = n;
	} else {
		for (const char *r = body; r < content_end;) {
			if (r + 1 < content_end && r[0] == '.' && r[1] == '.')
				r++;
			const char *nl = memchr(r, '\n', (size_t)(content_end - r));
			const char *e = nl ? nl : content_end;
			if (nl && e > r && e[-1] == '\r')
				e--;
			memcpy(s + len, r, (size_t)(e - r));
			len += (size_t)(e - r);
			if (!nl)
				break;
			s[len++] = '\r';
			s[len++] = '\n';
			r = nl + 1;
		}
	}
	s[len] = '\0';
	if (memchr(s, 0, len)) {
		size_t k = 0;
		for (size_t i = 0; i < len; i++)
			if (s[i] != 0)
				s[k++] = s[i];
		len = k;
		s[len] = '\0';
		report_nuls(lx, loc, t, body, content_end);
	}
	if (!closed) {
		sv_diag_error(lx->diags, loc, "unterminated multi-line string (missing '.' line)");
		lx->hit_eof_error = true;
	} else if (!sv_utf8_valid(s, len)) {
		sv_diag_error(lx->diags, loc, "invalid UTF-8 in string");
	}
	lx->cur = end;
	out->s = s;
	out->len = len;
	out->multiline = true;
}

/* RFC 5228 §8.1: number = 1*DIGIT [ QUANTIFIER ], K/M/G = 2^10/2^20/2^30. */
static uint64_t number_value(struct sv_lexer *lx, const char *s, const char *e,
			     struct sv_loc loc)
{
	uint64_t v = 0;
	bool over = false;
	for (; s < e && sv_ascii_isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	if (s < e) {
		unsigned shift = 0;
		switch (sv_ascii_upper((unsigned char)*s)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		}
		if (v > (UINT64_MAX >> shift))
			over = true;
		else
			v <<= shift;
	}
	if (over) {
		sv_diag_error(lx->diags, loc, "number too large");
		return UINT64_MAX;
	}
	return v;
}

/* RFC 5228 §2.4.1: the quantifiers are K, M and G only. T, P and E are
 * what users mean by the larger ones, and would overflow anyway. */
static void bad_quantifier(struct sv_lexer *lx, const char *s, const char *e, struct sv_loc loc)
{
	const char *q = s;
	while (q < e && sv_ascii_isdigit((unsigned char)*q))
		q++;
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_put_sanitized(&b, s, (size_t)(e - s), 40);
	unsigned char c = sv_ascii_upper((unsigned char)*q);
	if (e - q == 1 && (c == 'T' || c == 'P' || c == 'E'))
		sv_diag_error(lx->diags, loc,
			      "number too large: '%s' (the largest quantifier is G, 2^30)", b.p);
	else
		sv_diag_error(lx->diags, loc,
			      "bad number '%s': digits with an optional K, M or G quantifier", b.p);
	sv_buf_free(&b);
}

int sv_lex_next(struct sv_lexer *lx, SV_YYSTYPE *lval, SV_YYLTYPE *loc)
{
	const unsigned char *lim = (const unsigned char *)lx->lim;
	const unsigned char *cur, *mar, *tok;
	(void)mar;
	for (;;) {
		tok = cur = (const unsigned char *)lx->cur;
#define TOKS ((const char *)tok)
#define CURS ((const char *)cur)
		/*!re2c
		re2c:api = custom;
		re2c:api:style = free-form;
		re2c:define:YYCTYPE = "unsigned char";
		re2c:define:YYPEEK = "(cur < lim ? *cur : 0)";
		re2c:define:YYSKIP = "++cur;";
		re2c:define:YYBACKUP = "mar = cur;";
		re2c:define:YYRESTORE = "cur = mar;";
		re2c:define:YYLESSTHAN = "(lim - cur < @@)";
		re2c:yyfill:enable = 0;
		re2c:eof = 0;

		ident = [A-Za-z_][A-Za-z0-9_]*;

		$ {
			lx->cur = lx->lim;
			*loc = loc_of(lx, lx->lim, lx->lim);
			set_tok(lx, lx->lim, lx->lim);
			return SV_TOK_YYEOF;
		}

		// RFC 5228 §8.1: white-space (a bare CR is taken as white space too)
		[ \t\r\n]+ {
			lx->cur = CURS;
			if (lx->pos == TOKS) {
				/* one column each, or a new line: the bytes after
				 * the last line break give the column */
				const unsigned char *q = cur;
				while (q > tok && q[-1] != '\n')
					q--;
				if (q == tok) {
					lx->col += (unsigned)(cur - tok);
				} else {
					unsigned nl = 0;
					for (const unsigned char *r = tok; r < q; r++)
						nl += *r == '\n';
					lx->line += nl;
					lx->col = 1 + (unsigned)(cur - q);
				}
				lx->pos = CURS;
			}
			continue;
		}

		// RFC 5228 §2.3: hash comment, to the end of the line
		"#" {
			const char *nl = memchr(CURS, '\n', (size_t)(lim - cur));
			const char *e = nl ? nl : lx->lim;
			if (memchr(TOKS, 0, (size_t)(e - TOKS)))
				report_nuls(lx, loc_of(lx, TOKS, TOKS), TOKS, CURS, e);
			lx->cur = e;
			continue;
		}

		// RFC 5228 §2.3: bracket comment
		"/*" {
			const char *p = CURS;
			const char *e = NULL;
			while (p < lx->lim) {
				const char *star = memchr(p, '*', (size_t)(lx->lim - p));
				if (!star || star + 1 >= lx->lim)
					break;
				if (star[1] == '/') {
					e = star + 2;
					break;
				}
				p = star + 1;
			}
			struct sv_loc l = loc_of(lx, TOKS, CURS);
			if (!e) {
				sv_diag_error(lx->diags, l, "unterminated comment");
				lx->hit_eof_error = true;
				e = lx->lim;
			}
			if (memchr(TOKS, 0, (size_t)(e - TOKS)))
				report_nuls(lx, l, TOKS, CURS, e);
			lx->cur = e;
			continue;
		}

		// RFC 5228 §2.4.2: "text:" *(SP / HTAB) (hash-comment / CRLF)
		"text:" [ \t]* {
			const char *p = CURS;
			if (p < lx->lim && *p == '#') {
				const char *nl = memchr(p, '\n', (size_t)(lx->lim - p));
				p = nl ? nl : lx->lim;
			} else if (p + 1 < lx->lim && p[0] == '\r' && p[1] == '\n') {
				p++;
			}
			if (p >= lx->lim || *p != '\n') {
				sv_diag_error(lx->diags, loc_of(lx, TOKS, TOKS + 5),
					      "expected a line break after 'text:'");
				lx->cur = CURS;
				continue;
			}
			lex_text(lx, TOKS, p + 1, &lval->str, loc);
			set_tok(lx, TOKS, lx->cur);
			return SV_TOK_STRING;
		}

		ident {
			lx->cur = CURS;
			*loc = loc_ascii(lx, TOKS, CURS);
			lval->text.s = TOKS;
			lval->text.len = (size_t)(cur - tok);
			set_tok(lx, TOKS, CURS);
			return SV_TOK_IDENT;
		}

		// RFC 5228 §8.1: tag = ":" identifier (the value has no colon)
		":" ident {
			lx->cur = CURS;
			*loc = loc_ascii(lx, TOKS, CURS);
			lval->text.s = TOKS + 1;
			lval->text.len = (size_t)(cur - tok - 1);
			set_tok(lx, TOKS, CURS);
			return SV_TOK_TAG;
		}

		[0-9]+ [KkMmGg]? {
			lx->cur = CURS;
			*loc = loc_ascii(lx, TOKS, CURS);
			lval->num = number_value(lx, TOKS, CURS, *loc);
			set_tok(lx, TOKS, CURS);
			return SV_TOK_NUMBER;
		}

		// a number run into letters ("16E", "10KB", "5days"): one error
		// at the number, not a confusing one about the word that follows
		[0-9]+ [A-Za-z_][A-Za-z0-9_]* {
			lx->cur = CURS;
			*loc = loc_ascii(lx, TOKS, CURS);
			bad_quantifier(lx, TOKS, CURS, *loc);
			lval->num = UINT64_MAX;
			set_tok(lx, TOKS, CURS);
			return SV_TOK_NUMBER;
		}

		["] {
			lex_quoted(lx, TOKS, &lval->str, loc);
			set_tok(lx, TOKS, lx->cur);
			return SV_TOK_STRING;
		}

		[;,()[\]{}] {
			lx->cur = CURS;
			*loc = loc_ascii(lx, TOKS, CURS);
			set_tok(lx, TOKS, CURS);
			return *tok;
		}

		* {
			size_t n = sv_utf8_seq_len(TOKS, (size_t)(lim - tok));
			if (n == 0)
				n = 1;
			lx->cur = TOKS + n;
			struct sv_loc l = loc_of(lx, TOKS, lx->cur);
			if (*tok == 0) {
				sv_diag_error(lx->diags, l, "nul byte in script");
			} else if (n == 3 && memcmp(TOKS, "\xef\xbb\xbf", 3) == 0) {
				sv_diag_error(lx->diags, l,
					      "byte order mark (U+FEFF) is allowed only at the "
					      "start of the script");
			} else {
				struct sv_buf b = SV_BUF_INIT;
				sv_buf_put_sanitized(&b, TOKS, n, 16);
				sv_diag_error(lx->diags, l, "unexpected character '%s'", b.p);
				sv_buf_free(&b);
			}
			continue;
		}
		*/
#undef TOKS
#undef CURS
	}
}
