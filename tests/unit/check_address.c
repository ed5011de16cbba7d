/*
 * check_address.c: address lists (RFC 5322 §3.4, §3.4.1, obsolete forms of
 * §4.4) and envelope paths (RFC 5321 §4.1.2).
 */
#include <check.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "mail/message.h"

/* Expected entries, encoded "addr|local|domain|display|valid" separated by
 * "\n"; "-" stands for NULL. */
static const struct {
	const char *in, *want, *rfc;
} list_cases[] = {
	{"", "", "§3.4 empty"},
	{"   ", "", "§3.4 blank"},
	{"a@b", "a@b|a|b|-|1", "§3.4.1 addr-spec"},
	{"  a@b.example  ", "a@b.example|a|b.example|-|1", "§3.4.1"},
	{"Name <a@b>", "a@b|a|b|Name|1", "§3.4 name-addr"},
	{"John Q. Public <jqp@x.org>", "jqp@x.org|jqp|x.org|John Q. Public|1", "§4.1 obs-phrase"},
	{"\"Doe, John\" <jd@x>", "jd@x|jd|x|Doe, John|1", "§3.2.4 quoted display"},
	{"<a@b>", "a@b|a|b|-|1", "§3.4 angle-addr"},
	{"a@b (Comment Name)", "a@b|a|b|Comment Name|1", "§3.2.2 comment as name"},
	{"a(x)@(y)b(z)", "a@b|a|b|z|1", "§3.2.2 comments anywhere"},
	{"a@b (outer (nested) text)", "a@b|a|b|outer (nested) text|1", "§3.2.2 nested"},
	{"\"quoted local\"@b", "quoted local@b|quoted local|b|-|1", "§3.4.1 quoted local"},
	{"\"a\\\"q\\\\\"@b", "a\"q\\@b|a\"q\\|b|-|1", "§3.2.1 quoted-pair"},
	{"first.last@b", "first.last@b|first.last|b|-|1", "§3.4.1 dot-atom"},
	{"a . b @ c . d", "a.b@c.d|a.b|c.d|-|1", "§4.4 obs CFWS"},
	{"a..b@c", "a..b@c|a..b|c|-|1", "tolerated double dot"},
	{"a@[1.2.3.4]", "a@[1.2.3.4]|a|[1.2.3.4]|-|1", "§3.4.1 domain literal"},
	{"<@r1,@r2:a@b>", "a@b|a|b|-|1", "§4.4 obs-route"},
	{"X <@r1,@r2:a@b>, c@d", "a@b|a|b|X|1\nc@d|c|d|-|1", "§4.4 obs-route in list"},
	{"a@b, c@d", "a@b|a|b|-|1\nc@d|c|d|-|1", "§3.4 list"},
	{"a@b,,  ,c@d,", "a@b|a|b|-|1\nc@d|c|d|-|1", "§4.4 obs-addr-list"},
	{"a@b; c@d", "a@b|a|b|-|1\nc@d|c|d|-|1", "tolerated ; separator"},
	{"undisclosed: a@b, C <c@d>;", "a@b|a|b|-|1\nc@d|c|d|C|1", "§3.4 group"},
	{"undisclosed-recipients:;", "", "§3.4 empty group"},
	{"g1: a@b;, x@y, g2:;", "a@b|a|b|-|1\nx@y|x|y|-|1", "§3.4 groups"},
	{"g: a@b", "a@b|a|b|-|1", "unterminated group"},
	{"=?utf-8?q?J=C3=B6rg?= <j@x>", "j@x|j|x|J\xc3\xb6rg|1", "RFC 2047 §5 display"},
	{"\"=?utf-8?q?J=C3=B6rg?=\" <j@x>", "j@x|j|x|J\xc3\xb6rg|1", "tolerated 2047 in quotes"},
	{"a@b (=?iso-8859-1?q?Andr=E9?=)", "a@b|a|b|Andr\xc3\xa9|1", "RFC 2047 §5 comment"},
	{"<>", "||-|-|1", "null path"},
	{"J\xc3\xb6rg <j\xc3\xb6@\xc3\xa9x>", "j\xc3\xb6@\xc3\xa9x|j\xc3\xb6|\xc3\xa9x|J\xc3\xb6rg|1",
	 "RFC 6532 UTF-8"},
	/* invalid ones */
	{"a", "a|a|-|-|0", "RFC 5228 §5.1 no domain"},
	{"Name <a>", "a|a|-|Name|0", "no domain in angle"},
	{"a@", "a@||-|-|0", "empty domain"},
	{"@b", "@b||-|-|0", "empty local"},
	{"a@b@c", "a@b@c||-|-|0", "two @"},
	{"a b@c", "a b@c||-|-|0", "two words"},
	{"<a@b", "a@b|a|b|-|1", "tolerated unclosed angle"},
	{"a@b>", "a@b>||-|-|0", "stray >"},
	{"(only a comment)", "", "nothing but a comment"},
	{"\"unterminated@b", "\"unterminated@b||-|-|0", "unterminated quote"},
	{"a@b, garbage\x01, c@d", "a@b|a|b|-|1\ngarbage\x01||-|-|0\nc@d|c|d|-|1",
	 "control character"},
};

static void dump(struct sv_buf *b, const struct sv_addr_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct sv_addr *a = &l->v[i];
		if (i)
			sv_buf_putc(b, '\n');
		sv_buf_append(b, a->addr, a->alen);
		sv_buf_putc(b, '|');
		sv_buf_append(b, a->local, a->llen);
		sv_buf_putc(b, '|');
		if (a->domain)
			sv_buf_append(b, a->domain, a->dlen);
		else
			sv_buf_putc(b, '-');
		sv_buf_putc(b, '|');
		if (a->display)
			sv_buf_append(b, a->display, a->displen);
		else
			sv_buf_putc(b, '-');
		sv_buf_puts(b, a->valid ? "|1" : "|0");
		ck_assert_uint_eq(strlen(a->addr), a->alen);
		ck_assert_uint_eq(strlen(a->local), a->llen);
	}
}

START_TEST(test_list)
{
	struct sv_arena *a = sv_arena_new();
	struct sv_addr_list l;
	sv_addr_parse_list(a, list_cases[_i].in, strlen(list_cases[_i].in), &l);
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_puts(&b, "");
	dump(&b, &l);
	ck_assert_msg(strcmp(b.p, list_cases[_i].want) == 0, "%s: [%s] gave\n%s\nwant\n%s",
		      list_cases[_i].rfc, list_cases[_i].in, b.p, list_cases[_i].want);
	sv_buf_free(&b);
	sv_arena_free(a);
}
END_TEST

/* RFC 5321 §4.1.2 envelope paths */
static const struct {
	const char *in;
	bool ok;
	const char *addr, *local, *domain;
} path_cases[] = {
	{"<a@b>", true, "a@b", "a", "b"},
	{"a@b", true, "a@b", "a", "b"},
	{"  <a@b.example>  ", true, "a@b.example", "a", "b.example"},
	{"<>", true, "", "", NULL},
	{"", true, "", "", NULL},
	{"<@x,@y:a@b>", true, "a@b", "a", "b"},
	{"<\"q l\"@b>", true, "q l@b", "q l", "b"},
	{"<a@[10.0.0.1]>", true, "a@[10.0.0.1]", "a", "[10.0.0.1]"},
	{"<Postmaster>", true, "Postmaster", "Postmaster", NULL},
	{"<a>", false, "a", "a", NULL},
	{"<a@b", false, "<a@b", "", NULL},
	{"<@x a@b>", false, NULL, NULL, NULL},
	{"a@b c", false, NULL, NULL, NULL},
	{"Name <a@b>", false, NULL, NULL, NULL},
	{"a@b (c)", false, NULL, NULL, NULL},
	{"<<>>", false, NULL, NULL, NULL},
};

START_TEST(test_path)
{
	struct sv_arena *a = sv_arena_new();
	struct sv_addr ad;
	bool ok = sv_addr_parse_path(a, path_cases[_i].in, strlen(path_cases[_i].in), &ad);
	ck_assert_msg(ok == path_cases[_i].ok, "[%s]", path_cases[_i].in);
	ck_assert_int_eq(ad.valid, ok);
	ck_assert_ptr_nonnull(ad.addr);
	ck_assert_ptr_nonnull(ad.local);
	if (path_cases[_i].addr)
		ck_assert_str_eq(ad.addr, path_cases[_i].addr);
	if (path_cases[_i].local)
		ck_assert_str_eq(ad.local, path_cases[_i].local);
	if (path_cases[_i].addr && !path_cases[_i].domain)
		ck_assert_ptr_null(ad.domain);
	if (path_cases[_i].domain)
		ck_assert_str_eq(ad.domain, path_cases[_i].domain);
	sv_arena_free(a);
}
END_TEST

/* RFC 5321 §4.1.2 paths read exactly, RFC 6531 §3.3 UTF-8 */
static const struct {
	const char *in;
	bool ok;
	const char *addr, *local, *domain;
} smtp_cases[] = {
	{"<a@b.example>", true, "a@b.example", "a", "b.example"},
	{"a@b.example", true, "a@b.example", "a", "b.example"},
	{" <a.b+c@d-e.example> ", true, "a.b+c@d-e.example", "a.b+c", "d-e.example"},
	{"<>", true, "", "", NULL},
	{"", true, "", "", NULL},
	{"<@x.example,@y.example:a@b.example>", true, "a@b.example", "a", "b.example"},
	{"@x.example:a@b.example", true, "a@b.example", "a", "b.example"},
	{"<\"q l\"@b.example>", true, "q l@b.example", "q l", "b.example"},
	{"<\"a\\\"@b\"@c.example>", true, "a\"@b@c.example", "a\"@b", "c.example"},
	{"<\"\"@b.example>", true, "@b.example", "", "b.example"},
	{"<a@[192.0.2.1]>", true, "a@[192.0.2.1]", "a", "[192.0.2.1]"},
	{"<a@[IPv6:2001:db8::1]>", true, "a@[IPv6:2001:db8::1]", "a", "[IPv6:2001:db8::1]"},
	{"<postmaster>", true, "postmaster", "postmaster", NULL},
	{"user", true, "user", "user", NULL},
	{"j\xc3\xb6ran@ex\xc3\xa4mple.org", true, "j\xc3\xb6ran@ex\xc3\xa4mple.org", "j\xc3\xb6ran",
	 "ex\xc3\xa4mple.org"},
	/* invalid: the text as given, no local part or domain */
	{"<a@b.example", false, "<a@b.example", "", NULL},
	{"a@b.example>", false, "a@b.example>", "", NULL},
	{"<a b@c.example>", false, "<a b@c.example>", "", NULL},
	{"a..b@c.example", false, "a..b@c.example", "", NULL},
	{".a@c.example", false, ".a@c.example", "", NULL},
	{"a.@c.example", false, "a.@c.example", "", NULL},
	{"a@-c.example", false, "a@-c.example", "", NULL},
	{"a@c-.example", false, "a@c-.example", "", NULL},
	{"a@c..example", false, "a@c..example", "", NULL},
	{"a@c.example.", false, "a@c.example.", "", NULL},
	{"a@", false, "a@", "", NULL},
	{"@b.example", false, "@b.example", "", NULL},
	{"a@b@c.example", false, "a@b@c.example", "", NULL},
	{"a@b.example (c)", false, "a@b.example (c)", "", NULL},
	{"Name <a@b.example>", false, "Name <a@b.example>", "", NULL},
	{"<@x.example:>", false, "<@x.example:>", "", NULL},
	{"<@x.example a@b.example>", false, "<@x.example a@b.example>", "", NULL},
	{"<@x.example,y.example:a@b.example>", false, NULL, "", NULL},
	{"<\"a@b.example>", false, NULL, "", NULL},
	{"<\"a\x01\"@b.example>", false, NULL, "", NULL},
	{"<a@[]>", false, NULL, "", NULL},
	{"<a@[1.2.3.4>", false, NULL, "", NULL},
	{"<\"\">", false, NULL, "", NULL},
	{"a\xc3@b.example", false, NULL, "", NULL}, /* not UTF-8 */
	{"a@b\xff.example", false, NULL, "", NULL},
	{"<<>>", false, NULL, "", NULL},
};

START_TEST(test_smtp_path)
{
	struct sv_arena *a = sv_arena_new();
	struct sv_addr ad;
	const char *in = smtp_cases[_i].in;
	bool ok = sv_addr_parse_smtp_path(a, in, strlen(in), &ad);
	ck_assert_msg(ok == smtp_cases[_i].ok, "[%s]", in);
	ck_assert_int_eq(ad.valid, ok);
	ck_assert_ptr_nonnull(ad.addr);
	ck_assert_str_eq(ad.local, smtp_cases[_i].local);
	if (smtp_cases[_i].addr)
		ck_assert_str_eq(ad.addr, smtp_cases[_i].addr);
	if (smtp_cases[_i].domain)
		ck_assert_str_eq(ad.domain, smtp_cases[_i].domain);
	else
		ck_assert_ptr_null(ad.domain);
	sv_arena_free(a);
}
END_TEST

START_TEST(test_hostile)
{
	struct sv_arena *a = sv_arena_new();
	struct sv_addr_list l;
	size_t n = 100000;
	/* 100,000 nested comments, then an address */
	struct sv_buf b = SV_BUF_INIT;
	for (size_t i = 0; i < n; i++)
		sv_buf_putc(&b, '(');
	for (size_t i = 0; i < n; i++)
		sv_buf_putc(&b, ')');
	sv_buf_puts(&b, " a@b");
	sv_addr_parse_list(a, b.p, b.len, &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].addr, "a@b");
	/* unbalanced: the comment runs to the end */
	sv_buf_reset(&b);
	for (size_t i = 0; i < n; i++)
		sv_buf_putc(&b, '(');
	sv_buf_puts(&b, "a@b");
	sv_addr_parse_list(a, b.p, b.len, &l);
	ck_assert_uint_eq(l.n, 0);
	/* a huge list */
	sv_buf_reset(&b);
	for (size_t i = 0; i < n; i++)
		sv_buf_puts(&b, "a@b,");
	sv_addr_parse_list(a, b.p, b.len, &l);
	ck_assert_uint_eq(l.n, n);
	/* many '<' */
	sv_buf_reset(&b);
	for (size_t i = 0; i < n; i++)
		sv_buf_puts(&b, "<@");
	sv_addr_parse_list(a, b.p, b.len, &l);
	for (size_t i = 0; i < l.n; i++)
		ck_assert(!l.v[i].valid);
	/* random bytes */
	unsigned seed = 99;
	for (int round = 0; round < 3000; round++) {
		char buf[96];
		size_t m = (size_t)(rand_r(&seed) % 96);
		for (size_t i = 0; i < m; i++) {
			static const char alpha[] = "<>@,;:.()\"[]\\ ab=?\x01\xc3";
			buf[i] = alpha[rand_r(&seed) % (int)(sizeof alpha - 1)];
		}
		sv_addr_parse_list(a, buf, m, &l);
		for (size_t i = 0; i < l.n; i++) {
			ck_assert_ptr_nonnull(l.v[i].addr);
			ck_assert_ptr_nonnull(l.v[i].local);
			ck_assert(!l.v[i].valid || l.v[i].domain || l.v[i].llen == 0);
		}
		struct sv_addr ad;
		sv_addr_parse_path(a, buf, m, &ad);
		ck_assert_ptr_nonnull(ad.addr);
	}
	sv_buf_free(&b);
	sv_arena_free(a);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("address");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_list, 0, (int)(sizeof list_cases / sizeof list_cases[0]));
	tcase_add_loop_test(tc, test_path, 0, (int)(sizeof path_cases / sizeof path_cases[0]));
	tcase_add_loop_test(tc, test_smtp_path, 0, (int)(sizeof smtp_cases / sizeof smtp_cases[0]));
	tcase_add_test(tc, test_hostile);
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
