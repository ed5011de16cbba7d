/*
 * check_message.c: reading a message, the header index, unfolding, size.
 * RFC 5322 §2.1, §2.2, §2.2.3, §4.5; RFC 5228 §5.9; RFC 4155 (mbox).
 */
#include <check.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "mail/message.h"

static struct sv_msg *msg(const char *s)
{
	return sv_msg_new(s, strlen(s));
}

/* ---- RFC 5322 §2.2.3 unfolding, §2.2 field syntax ---------------------- */

static const struct {
	const char *msg, *name, *value; /* value NULL: no such field */
} unfold_cases[] = {
	{"Subject: hello\n\nbody", "subject", "hello"},
	{"Subject:hello\n\n", "Subject", "hello"},
	{"Subject:   padded  \t \n\n", "SUBJECT", "padded"},
	{"Subject: a\n b\n\n", "subject", "a b"},
	{"Subject: a\r\n\tb\r\n  c\r\n\r\n", "subject", "a\tb  c"},
	{"Subject:\n folded first\n\n", "subject", "folded first"},
	{"Subject: a\n \n b\n\n", "subject", "a  b"},
	{"Subject:\n\n", "subject", ""},
	{"Subject : obs space\n\n", "subject", "obs space"},   /* §4.5.1 obs-optional */
	{"Subject\t: obs tab\n\n", "subject", "obs tab"},
	{"X-8bit: caf\xe9 \xc3\xa9\n\n", "x-8bit", "caf\xe9 \xc3\xa9"},
	{"X-Weird!#$%&'*+-/=?^_`{|}~: ok\n\n", "x-weird!#$%&'*+-/=?^_`{|}~", "ok"},
	{"To: a\nSubject: no separator", "subject", "no separator"},
	{"Subject: a\rb\n\n", "subject", "a\rb"}, /* bare CR is kept */
	{"Subject: x\n\nSubject: in body\n", "subject", "x"},
	{"Subject: x\n\nX-Body: y\n", "x-body", NULL},
	/* a line that is not a field ends the header */
	{"Subject: x\nnot a header line\nX-After: y\n", "x-after", NULL},
	{"Subject: x\n: empty name\nX-After: y\n", "x-after", NULL},
	/* a leading continuation with no field is ignored */
	{" orphan\nSubject: s\n\n", "subject", "s"},
	{"\nSubject: body\n", "subject", NULL},
};

START_TEST(test_unfold)
{
	struct sv_msg *m = msg(unfold_cases[_i].msg);
	struct sv_hdr *h = sv_msg_header(m, unfold_cases[_i].name, strlen(unfold_cases[_i].name));
	if (!unfold_cases[_i].value) {
		ck_assert_msg(h == NULL, "case %d: unexpected field", _i);
	} else {
		ck_assert_msg(h != NULL, "case %d: field missing", _i);
		ck_assert_str_eq(h->value, unfold_cases[_i].value);
		ck_assert_uint_eq(h->vlen, strlen(unfold_cases[_i].value));
	}
	sv_msg_free(m);
}
END_TEST

START_TEST(test_raw_kept)
{
	/* raw keeps the folding, without the final line break */
	struct sv_msg *m = msg("Subject: a\r\n b\r\n\r\nbody");
	struct sv_hdr *h = sv_msg_header(m, "subject", 7);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(h->rawlen, 6);
	ck_assert(memcmp(h->raw, " a\r\n b", 6) == 0);
	ck_assert_uint_eq(h->namelen, 7);
	ck_assert(memcmp(h->name, "Subject", 7) == 0);
	sv_msg_free(m);
}
END_TEST

/* ---- RFC 5322 §2.1: CRLF, LF and mixed line ends ----------------------- */

static const char *const eol_cases[] = {
	"From: a@b\r\nSubject: one\r\n two\r\nTo: c@d\r\n\r\nline1\r\nline2\r\n",
	"From: a@b\nSubject: one\n two\nTo: c@d\n\nline1\r\nline2\r\n",
	"From: a@b\r\nSubject: one\n two\r\nTo: c@d\n\r\nline1\r\nline2\r\n",
};

START_TEST(test_eol)
{
	struct sv_msg *m = msg(eol_cases[_i]);
	size_t n;
	struct sv_hdr *hv = sv_msg_headers(m, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(hv[0].value, "a@b");
	ck_assert_str_eq(hv[1].value, "one two");
	ck_assert_str_eq(hv[2].value, "c@d");
	size_t blen;
	const char *b = sv_msg_body(m, &blen);
	ck_assert_uint_eq(blen, 14);
	ck_assert(memcmp(b, "line1\r\nline2\r\n", 14) == 0);
	sv_msg_free(m);
}
END_TEST

/* ---- RFC 4155: the mbox From line -------------------------------------- */

START_TEST(test_mbox_from)
{
	const char *s = "From sender@example.org Mon Jan  1 00:00:00 2024\nSubject: s\n\nb\n";
	struct sv_msg *m = msg(s);
	ck_assert_str_eq(sv_msg_mbox_from(m), "sender@example.org");
	size_t len;
	const char *d = sv_msg_data(m, &len);
	ck_assert_uint_eq(len, strlen("Subject: s\n\nb\n"));
	ck_assert(memcmp(d, "Subject: s\n", 11) == 0);
	ck_assert_ptr_nonnull(sv_msg_header(m, "subject", 7));
	/* RFC 5228 §5.9: the From line is not part of the size */
	ck_assert_uint_eq(sv_msg_size(m), 17);
	sv_msg_free(m);

	m = msg("From: not-mbox@example.org\n\n");
	ck_assert_ptr_null(sv_msg_mbox_from(m));
	ck_assert_ptr_nonnull(sv_msg_header(m, "from", 4));
	sv_msg_free(m);

	m = msg("From MAILER-DAEMON");
	ck_assert_str_eq(sv_msg_mbox_from(m), "MAILER-DAEMON");
	sv_msg_data(m, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(sv_msg_size(m), 0);
	sv_msg_free(m);
}
END_TEST

/* ---- RFC 5322 §1.2.2: names are case-insensitive; order kept ------------ */

START_TEST(test_lookup)
{
	struct sv_msg *m = msg("Received: r1\nTo: t\nreceived: r2\nRECEIVED: r3\nX-A: a\n\n");
	static const char *const names[] = {"received", "Received", "RECEIVED", "rEcEiVeD"};
	for (size_t i = 0; i < 4; i++) {
		struct sv_hdr *h = sv_msg_header(m, names[i], strlen(names[i]));
		ck_assert_ptr_nonnull(h);
		ck_assert_str_eq(h->value, "r1");
		ck_assert_uint_eq(h->index, 0);
		ck_assert_ptr_nonnull(h->next_same);
		ck_assert_str_eq(h->next_same->value, "r2");
		ck_assert_uint_eq(h->next_same->index, 2);
		ck_assert_str_eq(h->next_same->next_same->value, "r3");
		ck_assert_ptr_null(h->next_same->next_same->next_same);
		ck_assert_uint_eq(sv_msg_header_count(m, names[i], strlen(names[i])), 3);
	}
	ck_assert_uint_eq(sv_msg_header_count(m, "to", 2), 1);
	ck_assert_uint_eq(sv_msg_header_count(m, "cc", 2), 0);
	ck_assert_ptr_null(sv_msg_header(m, "receive", 7));
	ck_assert_ptr_null(sv_msg_header(m, "x-a ", 4));
	ck_assert_ptr_null(sv_msg_header(m, "", 0));
	sv_msg_free(m);

	m = msg("");
	ck_assert_ptr_null(sv_msg_header(m, "to", 2));
	size_t n = 9;
	sv_msg_headers(m, &n);
	ck_assert_uint_eq(n, 0);
	size_t blen = 9;
	sv_msg_body(m, &blen);
	ck_assert_uint_eq(blen, 0);
	sv_msg_free(m);
}
END_TEST

START_TEST(test_many_names)
{
	/* the index must keep working with many distinct names (table growth) */
	struct sv_buf b = SV_BUF_INIT;
	for (int i = 0; i < 5000; i++)
		sv_buf_printf(&b, "X-H%d: v%d\n", i % 2500, i);
	sv_buf_puts(&b, "\nbody\n");
	struct sv_msg *m = sv_msg_new(b.p, b.len);
	for (int i = 0; i < 2500; i += 7) {
		char name[32], val[32];
		snprintf(name, sizeof name, "x-h%d", i);
		snprintf(val, sizeof val, "v%d", i);
		struct sv_hdr *h = sv_msg_header(m, name, strlen(name));
		ck_assert_ptr_nonnull(h);
		ck_assert_str_eq(h->value, val);
		ck_assert_uint_eq(sv_msg_header_count(m, name, strlen(name)), 2);
	}
	sv_msg_free(m);
	sv_buf_free(&b);
}
END_TEST

/* ---- RFC 5228 §5.9: size with line breaks counted as CRLF --------------- */

static const struct {
	const char *msg;
	unsigned long long size;
} size_cases[] = {
	{"", 0},
	{"a", 1},
	{"a\n", 3},
	{"a\r\n", 3},
	{"S: x\n\nbody\n", 14},
	{"S: x\r\n\r\nbody\r\n", 14},
	{"S: x\r\n\nbody\r\n", 14},
	{"a\rb", 3},     /* a bare CR is not a line break */
	{"\n\n\n", 6},
};

START_TEST(test_size)
{
	struct sv_msg *m = msg(size_cases[_i].msg);
	ck_assert_uint_eq(sv_msg_size(m), size_cases[_i].size);
	ck_assert_uint_eq(sv_msg_size(m), size_cases[_i].size); /* cached */
	sv_msg_free(m);
}
END_TEST

/* ---- decoded and address caches through the message -------------------- */

START_TEST(test_caches)
{
	struct sv_msg *m = msg("Subject: =?utf-8?q?caf=C3=A9?= ok\nTo: A <a@b>, c@d\n\n");
	struct sv_hdr *h = sv_msg_header(m, "subject", 7);
	size_t len;
	const char *d = sv_msg_header_decoded(m, h, &len);
	ck_assert_str_eq(d, "caf\xc3\xa9 ok");
	ck_assert_uint_eq(len, 8);
	ck_assert_ptr_eq(sv_msg_header_decoded(m, h, NULL), d);
	h = sv_msg_header(m, "to", 2);
	const struct sv_addr_list *l = sv_msg_header_addresses(m, h);
	ck_assert_uint_eq(l->n, 2);
	ck_assert_str_eq(l->v[0].addr, "a@b");
	ck_assert_str_eq(l->v[0].display, "A");
	ck_assert_str_eq(l->v[1].addr, "c@d");
	ck_assert_ptr_eq(sv_msg_header_addresses(m, h), l);
	sv_msg_free(m);
}
END_TEST

/* ---- hostile input: never crash, stay linear ----------------------------- */

START_TEST(test_huge_line)
{
	size_t n = 1 << 20;
	char *s = sv_malloc(n + 32);
	memcpy(s, "Subject: ", 9);
	memset(s + 9, 'x', n);
	memcpy(s + 9 + n, "\n\nbody", 6);
	struct sv_msg *m = sv_msg_new(s, n + 15);
	struct sv_hdr *h = sv_msg_header(m, "subject", 7);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(h->vlen, n);
	size_t blen;
	sv_msg_body(m, &blen);
	ck_assert_uint_eq(blen, 4);
	sv_msg_free(m);

	/* a 1 MB header of folded continuation lines */
	for (size_t i = 9; i + 2 < n + 9; i += 64) {
		s[i] = '\n';
		s[i + 1] = ' ';
	}
	m = sv_msg_new(s, n + 15);
	h = sv_msg_header(m, "subject", 7);
	ck_assert_ptr_nonnull(h);
	ck_assert(memchr(h->value, '\n', h->vlen) == NULL);
	sv_msg_free(m);
	sv_free(s);
}
END_TEST

START_TEST(test_random_bytes)
{
	unsigned seed = 12345;
	char buf[4096];
	for (int round = 0; round < 500; round++) {
		size_t n = (size_t)(rand_r(&seed) % (int)sizeof buf);
		for (size_t i = 0; i < n; i++) {
			/* biased towards structure: newlines, colons, spaces */
			int r = rand_r(&seed) % 16;
			buf[i] = r == 0 ? '\n' : r == 1 ? ':' : r == 2 ? ' ' : r == 3 ? '\r'
								: (char)rand_r(&seed);
		}
		struct sv_msg *m = sv_msg_new(buf, n);
		size_t nh, blen;
		struct sv_hdr *hv = sv_msg_headers(m, &nh);
		for (size_t i = 0; i < nh; i++) {
			ck_assert_uint_eq(strlen(hv[i].value) <= hv[i].vlen, 1);
			sv_msg_header_decoded(m, &hv[i], NULL);
			sv_msg_header_addresses(m, &hv[i]);
			struct sv_hdr *f = sv_msg_header(m, hv[i].name, hv[i].namelen);
			ck_assert_ptr_nonnull(f);
			ck_assert_uint_le(f->index, hv[i].index);
		}
		const char *b = sv_msg_body(m, &blen);
		size_t dlen;
		const char *d = sv_msg_data(m, &dlen);
		ck_assert(b >= d && b + blen == d + dlen);
		ck_assert_uint_ge(sv_msg_size(m), blen);
		sv_msg_mime(m);
		sv_msg_free(m);
	}
}
END_TEST

START_TEST(test_null_and_nul)
{
	struct sv_msg *m = sv_msg_new(NULL, 0);
	ck_assert_uint_eq(sv_msg_size(m), 0);
	ck_assert_ptr_null(sv_msg_header(m, "to", 2));
	sv_msg_free(m);
	/* NUL bytes inside a value are kept (length counts) */
	m = sv_msg_new("X: a\0b\n\n", 8);
	struct sv_hdr *h = sv_msg_header(m, "x", 1);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(h->vlen, 3);
	sv_msg_free(m);
}
END_TEST

/* RFC 5322 §2.1: the body follows the empty line that ends the header */
static const struct {
	const char *in;
	bool body;
} body_cases[] = {
	{"Subject: x\n", false},
	{"Subject: x\r\n", false},
	{"Subject: x", false},
	{"Subject: x\n \n", false}, /* a folded continuation, not empty */
	{"", false},
	{"Subject: x\n\n", true},
	{"Subject: x\r\n\r\n", true},
	{"\n", true},
	{"\r\n", true},
	{"Subject: x\n\nbody", true},
	{"Subject: x\nnot a field\n", true},
};

START_TEST(test_has_body)
{
	struct sv_msg *m = sv_msg_new(body_cases[_i].in, strlen(body_cases[_i].in));
	ck_assert_msg(sv_msg_has_body(m) == body_cases[_i].body, "[%s]", body_cases[_i].in);
	sv_msg_free(m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("message");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_unfold, 0, (int)(sizeof unfold_cases / sizeof unfold_cases[0]));
	tcase_add_test(tc, test_raw_kept);
	tcase_add_loop_test(tc, test_has_body, 0, (int)(sizeof body_cases / sizeof body_cases[0]));
	tcase_add_loop_test(tc, test_eol, 0, (int)(sizeof eol_cases / sizeof eol_cases[0]));
	tcase_add_test(tc, test_mbox_from);
	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_many_names);
	tcase_add_loop_test(tc, test_size, 0, (int)(sizeof size_cases / sizeof size_cases[0]));
	tcase_add_test(tc, test_caches);
	tcase_add_test(tc, test_huge_line);
	tcase_add_test(tc, test_random_bytes);
	tcase_add_test(tc, test_null_and_nul);
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
