/*
 * check_headers.c: the header source (src/vm/headers.c): the fields of a
 * name in the message or in a MIME part, and RFC 5260 §6's :index and
 * :last selection over them.
 */
#include <check.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "mail/message.h"
#include "vm/headers.h"

static const char msg_text[] = "Received: r1\n"
                               "X-A: a1\n"
                               "received: r2\n"
                               "Content-Type: multipart/mixed; boundary=B\n"
                               "RECEIVED: r3\n"
                               "\n"
                               "--B\n"
                               "X-A: p1\n"
                               "Content-Type: text/plain\n"
                               "x-a: p2\n"
                               "\n"
                               "part\n"
                               "--B--\n";

/* The values the selection gives, joined by ' '. */
static void collect(struct sv_msg *m, const struct sv_mime_part *part, uint64_t index, bool last,
                    const char *name, char *out, size_t cap)
{
	struct sv_hdr_select sel = {index, last};
	struct sv_hdr_iter it;
	sv_headers_begin_in(&it, m, part, &sel, name, strlen(name));
	out[0] = '\0';
	for (struct sv_hdr *h; (h = sv_headers_next(&it));) {
		if (out[0])
			strncat(out, " ", cap - strlen(out) - 1);
		strncat(out, h->value, cap - strlen(out) - 1);
	}
	/* the end stays the end */
	ck_assert_ptr_null(sv_headers_next(&it));
}

static const struct {
	uint64_t index;
	bool last;
	const char *name, *want;
} msg_cases[] = {
    {0, false, "received", "r1 r2 r3"}, /* every field, names in any case */
    {1, false, "received", "r1"},       {2, false, "Received", "r2"}, {3, false, "received", "r3"},
    {4, false, "received", ""},         {1, true, "received", "r3"},  {3, true, "received", "r1"},
    {4, true, "received", ""},          {1, false, "x-a", "a1"},      {1, true, "x-a", "a1"},
    {0, false, "x-none", ""},           {1, true, "x-none", ""},
};

START_TEST(test_message)
{
	struct sv_msg *m = sv_msg_new(msg_text, sizeof msg_text - 1);
	char got[128];
	collect(m, NULL, msg_cases[_i].index, msg_cases[_i].last, msg_cases[_i].name, got,
	        sizeof got);
	ck_assert_msg(strcmp(got, msg_cases[_i].want) == 0, "index %d%s of %s: '%s'",
	              (int)msg_cases[_i].index, msg_cases[_i].last ? " :last" : "",
	              msg_cases[_i].name, got);
	sv_msg_free(m);
}
END_TEST

/* A part's own fields, not the message's (the seam foreverypart uses). */
START_TEST(test_part)
{
	struct sv_msg *m = sv_msg_new(msg_text, sizeof msg_text - 1);
	struct sv_mime_part *top = sv_msg_mime(m);
	ck_assert(top->multipart);
	const struct sv_mime_part *p = top->children;
	ck_assert_ptr_nonnull(p);
	char got[128];
	collect(m, p, 0, false, "X-A", got, sizeof got);
	ck_assert_str_eq(got, "p1 p2");
	collect(m, p, 2, false, "x-a", got, sizeof got);
	ck_assert_str_eq(got, "p2");
	collect(m, p, 1, true, "x-a", got, sizeof got);
	ck_assert_str_eq(got, "p2");
	collect(m, p, 3, true, "x-a", got, sizeof got);
	ck_assert_str_eq(got, "");
	collect(m, p, 0, false, "received", got, sizeof got);
	ck_assert_str_eq(got, "");
	sv_msg_free(m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("headers");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_message, 0, (int)(sizeof msg_cases / sizeof msg_cases[0]));
	tcase_add_test(tc, test_part);
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
