/*
 * check_rfc2047.c: encoded words (RFC 2047 §2, §4.1, §4.2, §6.2; RFC 2231
 * §5 language suffix) decoded to UTF-8.
 */
#include <check.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/utf8.h"
#include "mail/mail-private.h"
#include "mail/message.h"

static const struct {
	const char *in, *out, *rfc;
} cases[] = {
	/* nothing to do */
	{"plain text", "plain text", "§2"},
	{"", "", "§2"},
	{"a =? b ?= c", "a =? b ?= c", "§2"},
	/* B and Q, case-insensitive encoding letter */
	{"=?UTF-8?B?Y2Fmw6k=?=", "caf\xc3\xa9", "§4.1"},
	{"=?utf-8?b?Y2Fmw6k?=", "caf\xc3\xa9", "§4.1 (padding missing)"},
	{"=?UTF-8?Q?caf=C3=A9?=", "caf\xc3\xa9", "§4.2"},
	{"=?utf-8?q?a_b_c?=", "a b c", "§4.2 (2): underscore is space"},
	{"=?utf-8?q?a=5Fb?=", "a_b", "§4.2 (2)"},
	{"=?utf-8?q?=e2=82=ac?=", "\xe2\x82\xac", "§4.2 lowercase hex"},
	/* charsets */
	{"=?ISO-8859-1?Q?caf=E9?=", "caf\xc3\xa9", "§3 iso-8859-1"},
	{"=?iso-8859-15?q?=A4?=", "\xe2\x82\xac", "§3 iso-8859-15 via iconv"},
	{"=?windows-1252?Q?=80_=93?=", "\xe2\x82\xac \xe2\x80\x9c", "§3 windows-1252"},
	{"=?koi8-r?b?8NLJ18XU?=", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "§3 koi8-r"},
	{"=?UTF-8*en?Q?hi?=", "hi", "RFC 2231 §5 language"},
	{"=?us-ascii?q?plain?=", "plain", "§3"},
	/* adjacent words: whitespace between them dropped (§6.2) */
	{"=?utf-8?q?a?= =?utf-8?q?b?=", "ab", "§6.2"},
	{"=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab", "§6.2 folded"},
	{"=?utf-8?q?a?= \t =?iso-8859-1?q?=E9?=", "a\xc3\xa9", "§6.2 mixed charsets"},
	{"=?utf-8?q?a?= x =?utf-8?q?b?=", "a x b", "§6.2 text between"},
	{"x =?utf-8?q?a?= y", "x a y", "§6.2 space around kept"},
	/* a character split across two words */
	{"=?utf-8?b?ww==?= =?utf-8?b?qQ==?=", "\xc3\xa9", "§5 split character"},
	{"=?utf-8?q?=C3?= =?utf-8?q?=A9?=", "\xc3\xa9", "§5 split character (Q)"},
	/* tolerated: glued to text, inside quotes */
	{"foo=?utf-8?q?bar?=baz", "foobarbaz", "tolerated: glued"},
	{"\"=?utf-8?q?J=C3=B6rg?=\"", "\"J\xc3\xb6rg\"", "tolerated: in quotes"},
	/* malformed words and unknown charsets are left as written */
	{"=?utf-8?x?abc?=", "=?utf-8?x?abc?=", "§2 unknown encoding"},
	{"=?utf-8?q?no end", "=?utf-8?q?no end", "§2 unterminated"},
	{"=?utf-8?q?sp ace?=", "=?utf-8?q?sp ace?=", "§2 space in text"},
	{"=?x-unknown-cs?q?abc?=", "=?x-unknown-cs?q?abc?=", "§2 unknown charset"},
	{"=?x-unknown-cs?q?a?= =?utf-8?q?b?=", "=?x-unknown-cs?q?a?= b", "unknown then known"},
	{"=?utf-8?q?a?= =?x-unknown?q?b?=", "a =?x-unknown?q?b?=", "known then unknown"},
	{"=?utf-8//TRANSLIT?q?a?=", "=?utf-8//TRANSLIT?q?a?=", "no iconv options"},
	{"=??q?a?=", "=??q?a?=", "§2 empty charset"},
	{"=?utf-8?b?@@@?=", "=?utf-8?b?@@@?=", "§4.1 not base64"},
	{"=?utf-8?q?bad=Zhex?=", "bad=Zhex", "§4.2 malformed hex kept"},
	/* invalid bytes become U+FFFD, never invalid UTF-8 */
	{"=?utf-8?q?a=FFb?=", "a\xef\xbf\xbd" "b", "RFC 3629"},
	{"=?utf-8?b?wA==?=", "\xef\xbf\xbd", "RFC 3629 overlong lead"},
	{"=?us-ascii?q?=E9?=", "\xef\xbf\xbd", "8-bit in us-ascii"},
	{"=?windows-1252?q?=81?=", "\xef\xbf\xbd", "undefined in windows-1252"},
	{"=?shift_jis?q?=82?=", "\xef\xbf\xbd", "truncated multibyte"},
	/* raw 8-bit outside words is left alone */
	{"caf\xe9 =?utf-8?q?x?=", "caf\xe9 x", "raw 8-bit kept"},
};

START_TEST(test_decode)
{
	struct sv_arena *a = sv_arena_new();
	size_t len;
	const char *r = sv_rfc2047_decode(a, cases[_i].in, strlen(cases[_i].in), &len);
	ck_assert_msg(strcmp(r, cases[_i].out) == 0, "%s: \"%s\" gave \"%s\", want \"%s\"",
		      cases[_i].rfc, cases[_i].in, r, cases[_i].out);
	ck_assert_uint_eq(len, strlen(cases[_i].out));
	sv_arena_free(a);
}
END_TEST

START_TEST(test_hostile)
{
	struct sv_arena *a = sv_arena_new();
	/* many starts of words that never finish: must stay linear */
	size_t n = 1 << 20;
	char *s = sv_malloc(n);
	for (size_t i = 0; i < n; i++)
		s[i] = "=?"[i % 2];
	size_t len;
	const char *r = sv_rfc2047_decode(a, s, n, &len);
	ck_assert_uint_eq(len, n);
	ck_assert(memcmp(r, s, n) == 0);
	/* 100,000 adjacent valid words */
	struct sv_buf b = SV_BUF_INIT;
	for (int i = 0; i < 100000; i++)
		sv_buf_puts(&b, "=?utf-8?q?x?= ");
	r = sv_rfc2047_decode(a, b.p, b.len, &len);
	ck_assert_uint_eq(len, 100000 + 1);
	/* random bytes around encoded-word punctuation: output that came from
	 * decoding is valid UTF-8 when the input is ASCII */
	unsigned seed = 7;
	for (int round = 0; round < 2000; round++) {
		char buf[128];
		size_t m = (size_t)(rand_r(&seed) % 128);
		for (size_t i = 0; i < m; i++) {
			static const char alpha[] = "=?QqBbutf-8iso88591_ =A9C3Ffz/+";
			buf[i] = alpha[rand_r(&seed) % (int)(sizeof alpha - 1)];
		}
		r = sv_rfc2047_decode(a, buf, m, &len);
		ck_assert(sv_utf8_valid(r, len));
	}
	sv_buf_free(&b);
	sv_free(s);
	sv_arena_free(a);
}
END_TEST

/* The in-place conversion gives what sv_mail_to_utf8 gives, for random
 * bytes (invalid UTF-8, 0xff, truncated sequences at the end). */
START_TEST(test_inplace)
{
	static const char *const cs[] = {"utf-8", "US-ASCII", "iso-8859-1", "latin1*en"};
	unsigned seed = 2045;
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(rand_r(&seed) % 40);
		char *p = sv_malloc(n + 1);
		for (size_t i = 0; i < n; i++) {
			int r = rand_r(&seed) % 4;
			p[i] = (char)(r == 0 ? 'a' : r == 1 ? 0xc3 : r == 2 ? 0xa9 : rand_r(&seed) % 256);
		}
		p[n] = '\0';
		const char *c = cs[round % 4];
		struct sv_buf want = SV_BUF_INIT;
		sv_buf_append(&want, "", 0);
		ck_assert(sv_mail_to_utf8(&want, c, strlen(c), p, n));
		ck_assert(sv_mail_to_utf8_inplace(&p, &n, c, strlen(c)));
		ck_assert_uint_eq(n, want.len);
		ck_assert(memcmp(p, want.p, n) == 0 && p[n] == '\0');
		sv_free(p);
		sv_buf_free(&want);
	}
	char *p = sv_malloc(2);
	size_t n = 1;
	memcpy(p, "x", 2);
	ck_assert(!sv_mail_to_utf8_inplace(&p, &n, "shift_jis", 9)); /* iconv's */
	sv_free(p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rfc2047");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_decode, 0, (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_inplace);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	setlocale(LC_ALL, "");
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
