/*
 * check_diag.c: unit tests of the diagnostics renderer (src/lib/diag.c):
 * gcc-style excerpts, the window shown of a long line, escapes in the
 * excerpt with the caret kept under the mistake, and the bounds on one
 * diagnostic and on a compile's whole output (SV_DIAG_MAX_OUTPUT).
 */
#include <check.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/diag.h"
#include "lib/limits.h"
#include "lib/utf8.h"

/* Render one error at line:col/width of src into out. */
static void render_one(const char *src, size_t len, unsigned line, unsigned col, unsigned width,
		       struct sv_buf *out)
{
	struct sv_diags d;
	sv_diags_init(&d);
	sv_diag_error(&d, ((struct sv_loc){line, col, width}), "oops");
	sv_diags_render(&d, out, "t.sieve", src, len);
	sv_diags_free(&d);
}

struct render_case {
	const char *name, *src;
	unsigned line, col, width;
	const char *expect;
};

static const struct render_case render_cases[] = {
	{"short line as written", "keep;\nfrob;\n", 2, 1, 4,
	 "t.sieve:2:1: error: oops\n    2 | frob;\n      | ^~~~\n"},
	{"tab copied to the caret line", "\tfrob;", 1, 2, 4,
	 "t.sieve:1:2: error: oops\n    1 | \tfrob;\n      | \t^~~~\n"},
	{"CRLF line", "frob;\r\n", 1, 1, 4, "t.sieve:1:1: error: oops\n    1 | frob;\n      | ^~~~\n"},
	{"control byte escaped, caret after it", "\"\x01\" x", 1, 5, 1,
	 "t.sieve:1:5: error: oops\n    1 | \"\\x01\" x\n      |        ^\n"},
	{"escape inside the underline", "\"a\x02\"", 1, 1, 4,
	 "t.sieve:1:1: error: oops\n    1 | \"a\\x02\"\n      | ^~~~~~~\n"},
	{"escape under the caret underlined whole", "a\x01" "b", 1, 2, 1,
	 "t.sieve:1:2: error: oops\n    1 | a\\x01b\n      |  ^~~~\n"},
	{"bad UTF-8 is one column", "\xff x", 1, 3, 1,
	 "t.sieve:1:3: error: oops\n    1 | \\xff x\n      |      ^\n"},
	{"right-to-left override escaped", "\"\xe2\x80\xae\" x", 1, 5, 1,
	 "t.sieve:1:5: error: oops\n    1 | \"<U+202E>\" x\n      |            ^\n"},
	{"leading BOM not shown", "\xef\xbb\xbf" "frob;", 1, 1, 4,
	 "t.sieve:1:1: error: oops\n    1 | frob;\n      | ^~~~\n"},
	{"caret at the end of the line", "keep", 1, 5, 1,
	 "t.sieve:1:5: error: oops\n    1 | keep\n      |     ^\n"},
	{"token that goes on past the line", "\"abc\nd\"", 1, 1, 6,
	 "t.sieve:1:1: error: oops\n    1 | \"abc\n      | ^~~~~~\n"},
	{"no location", "keep;", 0, 0, 0, "t.sieve: error: oops\n"},
};

START_TEST(test_render)
{
	const struct render_case *c = &render_cases[_i];
	struct sv_buf out = SV_BUF_INIT;
	render_one(c->src, strlen(c->src), c->line, c->col, c->width, &out);
	ck_assert_msg(strcmp(out.p, c->expect) == 0, "%s:\n%s---expected:\n%s", c->name, out.p,
		      c->expect);
	sv_buf_free(&out);
}
END_TEST

/* The characters before the caret in the caret line, and the character of
 * the excerpt line above it (counting characters, after the "| "). */
static void caret_target(const char *out, const char **target_r, size_t *before_r)
{
	const char *ex = strstr(out, " | ") + 3;
	const char *ca = strstr(ex, " | ") + 3;
	const char *caret = strchr(ca, '^');
	size_t before = sv_utf8_count(ca, (size_t)(caret - ca));
	const char *t = ex;
	for (size_t k = 0; k < before; k++)
		t += (unsigned char)*t < 0x80 ? 1 : sv_utf8_seq_len(t, 4);
	*target_r = t;
	*before_r = before;
}

/* A long line of multibyte characters with an ASCII mark at every
 * position tried: the window is valid UTF-8, cut with "...", at most 120
 * characters, and the caret is under the mark. */
START_TEST(test_window_utf8)
{
	static const char *const chars[] = {"\xc3\x9f", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "a"};
	const unsigned cols[] = {1, 2, 30, 59, 60, 61, 62, 150, 499, 500, 560, 598, 599, 600};
	for (size_t i = 0; i < sizeof cols / sizeof *cols; i++) {
		struct sv_buf src = SV_BUF_INIT, out = SV_BUF_INIT;
		for (unsigned c = 1; c <= 600; c++)
			sv_buf_puts(&src, c == cols[i] ? "X" : chars[c % 4]);
		render_one(src.p, src.len, 1, cols[i], 1, &out);
		ck_assert_msg(sv_utf8_valid(out.p, out.len), "col %u: invalid UTF-8", cols[i]);
		ck_assert_uint_lt(out.len, 1000);
		const char *t;
		size_t before;
		caret_target(out.p, &t, &before);
		ck_assert_msg(*t == 'X', "col %u: the caret is under '%.4s'", cols[i], t);
		const char *ex = strstr(out.p, " | ") + 3, *nl = strchr(ex, '\n');
		size_t shown = sv_utf8_count(ex, (size_t)(nl - ex));
		ck_assert_uint_le(shown, 120 + 6);
		ck_assert_int_eq(strncmp(ex, "...", 3) == 0, cols[i] > 61);
		ck_assert_int_eq(strncmp(nl - 3, "...", 3) == 0, cols[i] < 541);
		sv_buf_free(&src);
		sv_buf_free(&out);
	}
}
END_TEST

/* One diagnostic on a 4 MB line, underlining all of it, with a message of
 * 10 KB: bounded whatever the sizes. */
START_TEST(test_one_bounded)
{
	size_t n = 4u << 20;
	char *src = malloc(n);
	ck_assert_ptr_nonnull(src);
	memset(src, 'k', n);
	struct sv_buf msg = SV_BUF_INIT, out = SV_BUF_INIT;
	for (int i = 0; i < 10000; i++)
		sv_buf_puts(&msg, "\xc3\xa9");
	struct sv_diags d;
	sv_diags_init(&d);
	sv_diag_error(&d, ((struct sv_loc){1, 2000000, 4000000}), "%s", msg.p);
	sv_diags_render(&d, &out, "t.sieve", src, n);
	ck_assert_uint_lt(out.len, 2048);
	ck_assert(sv_utf8_valid(out.p, out.len));
	ck_assert_ptr_nonnull(strstr(out.p, "t.sieve:1:2000000: error: "));
	sv_diags_free(&d);
	sv_buf_free(&msg);
	sv_buf_free(&out);
	free(src);
}
END_TEST

/* A raised max-diagnostics: the whole rendering stops before
 * SV_DIAG_MAX_OUTPUT and its last line counts what was not shown. */
START_TEST(test_total_bounded)
{
	struct sv_buf src = SV_BUF_INIT, out = SV_BUF_INIT;
	for (int i = 0; i < 5000; i++)
		sv_buf_puts(&src, "frob frob frob frob frob frob frob frob frob frob frob;\n");
	struct sv_diags d;
	sv_diags_init(&d);
	d.max_errors = 10000;
	for (unsigned i = 1; i <= 5000; i++)
		sv_diag_error(&d, ((struct sv_loc){i, 1, 4}), "unknown command 'frob'");
	sv_diags_render(&d, &out, "t.sieve", src.p, src.len);
	ck_assert_uint_le(out.len, SV_DIAG_MAX_OUTPUT + 100);
	const char *last = out.p + out.len - 1;
	while (last > out.p && last[-1] != '\n')
		last--;
	size_t shown = 0;
	for (const char *p = out.p; (p = strstr(p, ": error: ")); p++)
		shown++;
	struct sv_buf want = SV_BUF_INIT;
	sv_buf_printf(&want, "t.sieve: note: too many errors; %zu more not shown\n", 5000 - shown);
	ck_assert_str_eq(last, want.p);
	ck_assert_uint_gt(shown, 50);
	sv_diags_free(&d);
	sv_buf_free(&want);
	sv_buf_free(&src);
	sv_buf_free(&out);
}
END_TEST

static Suite *diag_suite(void)
{
	Suite *s = suite_create("diag");
	TCase *tc = tcase_create("render");
	tcase_add_loop_test(tc, test_render, 0, (int)(sizeof render_cases / sizeof *render_cases));
	tcase_add_test(tc, test_window_utf8);
	tcase_add_test(tc, test_one_bounded);
	tcase_add_test(tc, test_total_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	setlocale(LC_ALL, "");
	SRunner *sr = srunner_create(diag_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
