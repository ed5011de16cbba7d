/*
 * check_lexer.c: unit tests of the Sieve lexer (src/parser/lexer.re):
 * RFC 5228 §8.1 tokens, §2.3 comments, §2.4.1 numbers, §2.4.2 strings.
 *
 * Table-driven: each case is a script, the tokens it yields as one line of
 * text (kind[value]@line:col/width) and the errors it reports
 * ("line:col: message" lines). The script is copied into a buffer of
 * exactly its length, so ASan catches any read past the end.
 */
#include <check.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/diag.h"
#include "parser/lex.h"

struct lex_case {
	const char *name;
	const char *src;
	size_t len; /* 0: strlen(src) */
	const char *tokens;
	const char *errors;
};

static void put_escaped(struct sv_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			sv_buf_puts(b, "\\n");
		else if (c == '\r')
			sv_buf_puts(b, "\\r");
		else if (c == '"' || c == '\\')
			sv_buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			sv_buf_printf(b, "\\x%02x", c);
		else
			sv_buf_putc(b, (char)c);
	}
}

/* Lex src[0..len) into a one-line token dump and an error list. */
static void lex_dump(const char *src, size_t len, struct sv_buf *toks, struct sv_buf *errs)
{
	char *copy = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, src, len);
	struct sv_arena *a = sv_arena_new();
	struct sv_diags d;
	sv_diags_init(&d);
	struct sv_lexer lx;
	sv_lex_init(&lx, copy, len, a, &d);
	for (int guard = 0; guard < 10000; guard++) {
		SV_YYSTYPE v;
		SV_YYLTYPE l;
		int t = sv_lex_next(&lx, &v, &l);
		if (toks->len)
			sv_buf_putc(toks, ' ');
		switch (t) {
		case SV_TOK_YYEOF:
			sv_buf_puts(toks, "eof");
			break;
		case SV_TOK_IDENT:
			sv_buf_puts(toks, "id[");
			sv_buf_append(toks, v.text.s, v.text.len);
			sv_buf_putc(toks, ']');
			break;
		case SV_TOK_TAG:
			sv_buf_puts(toks, "tag[");
			sv_buf_append(toks, v.text.s, v.text.len);
			sv_buf_putc(toks, ']');
			break;
		case SV_TOK_NUMBER:
			sv_buf_printf(toks, "num[%llu]", (unsigned long long)v.num);
			break;
		case SV_TOK_STRING:
			sv_buf_puts(toks, v.str.multiline ? "text[\"" : "str[\"");
			ck_assert_uint_eq(v.str.s[v.str.len], 0);
			put_escaped(toks, v.str.s, v.str.len);
			sv_buf_puts(toks, "\"]");
			break;
		default:
			sv_buf_putc(toks, (char)t);
			break;
		}
		sv_buf_printf(toks, "@%u:%u/%u", l.line, l.col, l.width);
		if (t == SV_TOK_YYEOF)
			break;
	}
	for (size_t i = 0; i < d.n; i++)
		sv_buf_printf(errs, "%u:%u: %s\n", d.v[i].loc.line, d.v[i].loc.col, d.v[i].msg);
	sv_diags_free(&d);
	sv_arena_free(a);
	free(copy);
}

static const struct lex_case lex_cases[] = {
	/* RFC 5228 §8.1: identifiers, punctuation, positions */
	{"empty", "", 0, "eof@1:1/1", ""},
	{"command", "if true;", 0, "id[if]@1:1/2 id[true]@1:4/4 ;@1:8/1 eof@1:9/1", ""},
	{"identifier chars", "_a1_B fileinto", 0, "id[_a1_B]@1:1/5 id[fileinto]@1:7/8 eof@1:15/1",
	 ""},
	{"punctuation", "[\"a\",\"b\"](){};", 0,
	 "[@1:1/1 str[\"a\"]@1:2/3 ,@1:5/1 str[\"b\"]@1:6/3 ]@1:9/1 (@1:10/1 )@1:11/1 "
	 "{@1:12/1 }@1:13/1 ;@1:14/1 eof@1:15/1",
	 ""},
	{"lines", "keep;\n  stop;\n", 0, "id[keep]@1:1/4 ;@1:5/1 id[stop]@2:3/4 ;@2:7/1 eof@3:1/1",
	 ""},
	{"tab is one column", "\tstop", 0, "id[stop]@1:2/4 eof@1:6/1", ""},
	{"bare cr is white space", "keep\rstop\r\n;", 0,
	 "id[keep]@1:1/4 id[stop]@1:6/4 ;@2:1/1 eof@2:2/1", ""},
	/* RFC 5228 §8.1: tag = ":" identifier; the value has no colon */
	{"tags", ":is :Contains :_x9", 0, "tag[is]@1:1/3 tag[Contains]@1:5/9 tag[_x9]@1:15/4 eof@1:19/1",
	 ""},
	{"colon alone", ": is", 0, "id[is]@1:3/2 eof@1:5/1", "1:1: unexpected character ':'\n"},
	/* RFC 5228 §2.4.1: numbers and quantifiers K, M, G (2^10, 2^20, 2^30) */
	{"numbers", "0 7 007 1K 2k 3M 4m 5G 6g", 0,
	 "num[0]@1:1/1 num[7]@1:3/1 num[7]@1:5/3 num[1024]@1:9/2 num[2048]@1:12/2 "
	 "num[3145728]@1:15/2 num[4194304]@1:18/2 num[5368709120]@1:21/2 num[6442450944]@1:24/2 "
	 "eof@1:26/1",
	 ""},
	{"number max", "18446744073709551615", 0, "num[18446744073709551615]@1:1/20 eof@1:21/1", ""},
	{"number overflow", "x 18446744073709551616;", 0,
	 "id[x]@1:1/1 num[18446744073709551615]@1:3/20 ;@1:23/1 eof@1:24/1",
	 "1:3: number too large\n"},
	{"quantifier fits", "17179869183G", 0, "num[18446744072635809792]@1:1/12 eof@1:13/1", ""},
	{"quantifier overflow", "17179869184G", 0, "num[18446744073709551615]@1:1/12 eof@1:13/1",
	 "1:1: number too large\n"},
	/* a number run into letters is one bad number, reported at its column */
	{"number then identifier", "10KB", 0, "num[18446744073709551615]@1:1/4 eof@1:5/1",
	 "1:1: bad number '10KB': digits with an optional K, M or G quantifier\n"},
	{"quantifier E", "x 16E", 0, "id[x]@1:1/1 num[18446744073709551615]@1:3/3 eof@1:6/1",
	 "1:3: number too large: '16E' (the largest quantifier is G, 2^30)\n"},
	{"number then space, identifier", "10K B", 0, "num[10240]@1:1/3 id[B]@1:5/1 eof@1:6/1", ""},
	/* a leading byte order mark is skipped, not a column */
	{"leading BOM", "\xef\xbb\xbfkeep", 0, "id[keep]@1:1/4 eof@1:5/1", ""},
	{"BOM not leading", "a\xef\xbb\xbf", 0, "id[a]@1:1/1 eof@1:3/1",
	 "1:2: byte order mark (U+FEFF) is allowed only at the start of the script\n"},
	/* RFC 5228 §2.4.2: quoted strings and their escapes */
	{"string", "\"abc\"", 0, "str[\"abc\"]@1:1/5 eof@1:6/1", ""},
	{"empty string", "\"\"", 0, "str[\"\"]@1:1/2 eof@1:3/1", ""},
	{"escaped quote", "\"a\\\"b\"", 0, "str[\"a\\\"b\"]@1:1/6 eof@1:7/1", ""},
	{"escaped backslash", "\"a\\\\b\"", 0, "str[\"a\\\\b\"]@1:1/6 eof@1:7/1", ""},
	{"other escapes drop the backslash", "\"\\a\\n\\t\\\\\\q\"", 0,
	 "str[\"ant\\\\q\"]@1:1/12 eof@1:13/1", ""},
	{"escaped non-ascii", "\"\\\xc3\xa9\"", 0, "str[\"\\xc3\\xa9\"]@1:1/4 eof@1:5/1", ""},
	{"string over lines", "\"a\nb\" x", 0, "str[\"a\\r\\nb\"]@1:1/2 id[x]@2:4/1 eof@2:5/1", ""},
	{"string keeps crlf", "\"a\r\nb\"", 0, "str[\"a\\r\\nb\"]@1:1/2 eof@2:3/1", ""},
	/* RFC 5228 §8.1: a line break in a string is CRLF, whatever the file has */
	{"string lf becomes crlf", "\"a\nb\n\"", 0, "str[\"a\\r\\nb\\r\\n\"]@1:1/2 eof@3:2/1", ""},
	{"unterminated string", "keep \"abc\n", 0, "id[keep]@1:1/4 str[\"abc\\r\\n\"]@1:6/4 eof@2:1/1",
	 "1:6: unterminated string\n"},
	{"unterminated after backslash", "\"ab\\", 0, "str[\"ab\"]@1:1/4 eof@1:5/1",
	 "1:1: unterminated string\n"},
	{"string cut by the length", "\"abc\"", 3, "str[\"ab\"]@1:1/3 eof@1:4/1",
	 "1:1: unterminated string\n"},
	{"invalid utf-8 in string", "x \"a\xff\" y", 0,
	 "id[x]@1:1/1 str[\"a\\xff\"]@1:3/4 id[y]@1:8/1 eof@1:9/1",
	 "1:3: invalid UTF-8 in string\n"},
	{"overlong utf-8", "\"\xc0\xaf\"", 0, "str[\"\\xc0\\xaf\"]@1:1/4 eof@1:5/1",
	 "1:1: invalid UTF-8 in string\n"},
	/* columns count code points, not bytes */
	{"utf-8 columns", "\"h\xc3\xa9llo\" x \"\xe2\x82\xac\" y", 0,
	 "str[\"h\\xc3\\xa9llo\"]@1:1/7 id[x]@1:9/1 str[\"\\xe2\\x82\\xac\"]@1:11/3 id[y]@1:15/1 "
	 "eof@1:16/1",
	 ""},
	{"utf-8 in comments", "/* \xc3\xa9\xc3\xa9 */ x # \xf0\x9f\x98\x80\ny", 0,
	 "id[x]@1:10/1 id[y]@2:1/1 eof@2:2/1", ""},
	/* RFC 5228 §2.4.2: multi-line strings, dot-unstuffing */
	{"text", "text:\nhello\n.\n;", 0, "text[\"hello\\r\\n\"]@1:1/5 ;@4:1/1 eof@4:2/1", ""},
	{"text empty", "text:\n.\n", 0, "text[\"\"]@1:1/5 eof@3:1/1", ""},
	{"text with comment and crlf", "text:  # note\r\nline1\r\n..dot\r\n.x\r\n.\r\n;", 0,
	 "text[\"line1\\r\\n.dot\\r\\n.x\\r\\n\"]@1:1/13 ;@6:1/1 eof@6:2/1", ""},
	{"text dot only at line start", "text:\na..b\n..\n.\n", 0,
	 "text[\"a..b\\r\\n.\\r\\n\"]@1:1/5 eof@5:1/1", ""},
	{"text trailing spaces", "text: \t\nx\n.\n", 0, "text[\"x\\r\\n\"]@1:1/7 eof@4:1/1", ""},
	{"text dot at the very end", "text:\nx\n.", 0, "text[\"x\\r\\n\"]@1:1/5 eof@3:2/1", ""},
	{"text line with dot and space", "text:\n. \n.\n", 0, "text[\". \\r\\n\"]@1:1/5 eof@4:1/1", ""},
	{"unterminated text", "text:\nabc\n", 0, "text[\"abc\\r\\n\"]@1:1/5 eof@3:1/1",
	 "1:1: unterminated multi-line string (missing '.' line)\n"},
	{"text without line break", "text: x", 0, "id[x]@1:7/1 eof@1:8/1",
	 "1:1: expected a line break after 'text:'\n"},
	{"text identifier", "text texts", 0, "id[text]@1:1/4 id[texts]@1:6/5 eof@1:11/1", ""},
	{"invalid utf-8 in text", "text:\n\xfe\n.\n", 0, "text[\"\\xfe\\r\\n\"]@1:1/5 eof@4:1/1",
	 "1:1: invalid UTF-8 in string\n"},
	/* RFC 5228 §2.3: comments */
	{"comments", "# c\nkeep; /* a\nb */ stop # x", 0,
	 "id[keep]@2:1/4 ;@2:5/1 id[stop]@3:6/4 eof@3:14/1", ""},
	{"bracket comment star", "/** a * / **/x", 0, "id[x]@1:14/1 eof@1:15/1", ""},
	{"hash comment crlf", "# c\r\nx", 0, "id[x]@2:1/1 eof@2:2/1", ""},
	{"unterminated comment", "keep /* abc *", 0, "id[keep]@1:1/4 eof@1:14/1",
	 "1:6: unterminated comment\n"},
	/* errors: unexpected characters, NUL bytes; lexing goes on */
	{"unexpected character", "keep @ stop", 0, "id[keep]@1:1/4 id[stop]@1:8/4 eof@1:12/1",
	 "1:6: unexpected character '@'\n"},
	{"unexpected control", "a\x01" "b", 0, "id[a]@1:1/1 id[b]@1:3/1 eof@1:4/1",
	 "1:2: unexpected character '\\x01'\n"},
	{"unexpected utf-8", "\xc3\xa9x", 0, "id[x]@1:2/1 eof@1:3/1",
	 "1:1: unexpected character '\xc3\xa9'\n"},
	{"unexpected bad byte", "\xff;", 0, ";@1:2/1 eof@1:3/1", "1:1: unexpected character '\\xff'\n"},
	{"nul byte", "keep\0;", 6, "id[keep]@1:1/4 ;@1:6/1 eof@1:7/1", "1:5: nul byte in script\n"},
	{"nul in string", "\"a\0b\" x", 7, "str[\"ab\"]@1:1/5 id[x]@1:7/1 eof@1:8/1",
	 "1:3: nul byte in script\n"},
	{"nul in comment", "# a\0b\nx /* \0 */ y", 17, "id[x]@2:1/1 id[y]@2:11/1 eof@2:12/1",
	 "1:4: nul byte in script\n2:6: nul byte in script\n"},
	{"nul in text", "text:\na\0\n.\n", 11, "text[\"a\\r\\n\"]@1:1/5 eof@4:1/1",
	 "2:2: nul byte in script\n"},
	{"many errors", "@ keep $ \"\xff\" %", 0, "id[keep]@1:3/4 str[\"\\xff\"]@1:10/3 eof@1:15/1",
	 "1:1: unexpected character '@'\n1:8: unexpected character '$'\n"
	 "1:10: invalid UTF-8 in string\n1:14: unexpected character '%'\n"},
};

START_TEST(test_lex_table)
{
	const struct lex_case *c = &lex_cases[_i];
	struct sv_buf toks = SV_BUF_INIT, errs = SV_BUF_INIT;
	size_t len = c->len ? c->len : strlen(c->src);
	lex_dump(c->src, len, &toks, &errs);
	ck_assert_msg(strcmp(toks.p, c->tokens) == 0, "%s: tokens\n got: %s\nwant: %s", c->name,
		      toks.p, c->tokens);
	const char *got_errs = errs.p ? errs.p : "";
	ck_assert_msg(strcmp(got_errs, c->errors) == 0, "%s: errors\n got: %s\nwant: %s", c->name,
		      got_errs, c->errors);
	sv_buf_free(&toks);
	sv_buf_free(&errs);
}
END_TEST

/* Identifier and tag values point into the source; string values are
 * NUL-terminated copies in the arena (ast.h). */
START_TEST(test_lex_values)
{
	const char src[] = ":over \"x\"";
	struct sv_arena *a = sv_arena_new();
	struct sv_diags d;
	sv_diags_init(&d);
	struct sv_lexer lx;
	sv_lex_init(&lx, src, sizeof src - 1, a, &d);
	SV_YYSTYPE v;
	SV_YYLTYPE l;
	ck_assert_int_eq(sv_lex_next(&lx, &v, &l), SV_TOK_TAG);
	ck_assert_ptr_eq(v.text.s, src + 1);
	ck_assert_uint_eq(v.text.len, 4);
	ck_assert_int_eq(sv_lex_next(&lx, &v, &l), SV_TOK_STRING);
	ck_assert_str_eq(v.str.s, "x");
	ck_assert_uint_eq(v.str.len, 1);
	ck_assert(!v.str.multiline);
	ck_assert_int_eq(sv_lex_next(&lx, &v, &l), SV_TOK_YYEOF);
	/* the end is sticky */
	ck_assert_int_eq(sv_lex_next(&lx, &v, &l), SV_TOK_YYEOF);
	ck_assert_uint_eq(d.errors, 0);
	sv_diags_free(&d);
	sv_arena_free(a);
}
END_TEST

/* A long script on one line: positions stay linear and right. */
START_TEST(test_lex_long_line)
{
	struct sv_buf src = SV_BUF_INIT;
	for (int i = 0; i < 20000; i++)
		sv_buf_puts(&src, "\xc3\xa9\"\xc3\xa9\" ");
	struct sv_arena *a = sv_arena_new();
	struct sv_diags d;
	sv_diags_init(&d);
	struct sv_lexer lx;
	sv_lex_init(&lx, src.p, src.len, a, &d);
	SV_YYSTYPE v;
	SV_YYLTYPE l;
	unsigned n = 0;
	while (sv_lex_next(&lx, &v, &l) == SV_TOK_STRING) {
		ck_assert_uint_eq(l.line, 1);
		ck_assert_uint_eq(l.col, n * 5 + 2);
		ck_assert_uint_eq(l.width, 3);
		n++;
	}
	ck_assert_uint_eq(n, 20000);
	ck_assert_uint_eq(d.errors, 20000); /* every 'é' outside a string */
	sv_diags_free(&d);
	sv_arena_free(a);
	sv_buf_free(&src);
}
END_TEST

static Suite *lexer_suite(void)
{
	Suite *s = suite_create("lexer");
	TCase *tc = tcase_create("tokens");
	tcase_add_loop_test(tc, test_lex_table, 0,
			    (int)(sizeof lex_cases / sizeof lex_cases[0]));
	tcase_add_test(tc, test_lex_values);
	tcase_add_test(tc, test_lex_long_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	setlocale(LC_ALL, "");
	SRunner *sr = srunner_create(lexer_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
