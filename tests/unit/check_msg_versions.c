/*
 * check_msg_versions.c: editheader's overlay on the message model
 * (DESIGN.md §5): fields added first or last and deleted (RFC 5293 §4,
 * §5), the current version every reader sees (§7), each version's bytes
 * (the original body untouched), RFC 2047 encoding and folding of added
 * values (RFC 5293 §4, RFC 5322 §2.1.1, §2.2.3), and the rewind of a
 * failed script's edits (RFC 5228 §2.10.6).
 */
#include <check.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail-private.h"
#include "mail/message.h"

static struct sv_msg *msg(const char *s)
{
	return sv_msg_new(s, strlen(s));
}

static void add(struct sv_msg *m, const char *name, const char *value, bool last)
{
	ck_assert_int_eq(sv_msg_add_field(m, name, strlen(name), value, strlen(value), last, 0),
	                 SV_OK);
}

/* The names of the current fields, joined by ','. */
static char *names(struct sv_msg *m)
{
	static char out[1024];
	size_t n, o = 0;
	struct sv_hdr *h = sv_msg_headers(m, &n);
	out[0] = '\0';
	for (size_t i = 0; i < n && o + h[i].namelen + 2 < sizeof out; i++) {
		if (i)
			out[o++] = ',';
		memcpy(out + o, h[i].name, h[i].namelen);
		o += h[i].namelen;
		ck_assert_uint_eq(h[i].index, i);
	}
	out[o] = '\0';
	return out;
}

static void render_is(struct sv_msg *m, unsigned v, const char *want)
{
	size_t len;
	const char *p = sv_msg_render(m, v, &len);
	ck_assert_ptr_nonnull(p);
	ck_assert_msg(len == strlen(want) && memcmp(p, want, len) == 0,
	              "version %u:\n[%.*s]\nwant\n[%s]", v, (int)len, p, want);
}

/* Nobody edits: no version, no copy. */
START_TEST(test_unedited)
{
	struct sv_msg *m = msg("A: 1\nB: 2\n\nbody\n");
	ck_assert_uint_eq(sv_msg_version(m), 0);
	size_t len, dlen;
	const char *r = sv_msg_render(m, 0, &len);
	ck_assert_ptr_eq(r, sv_msg_data(m, &dlen));
	ck_assert_uint_eq(len, dlen);
	ck_assert_ptr_null(sv_msg_render(m, 1, NULL));
	ck_assert_str_eq(names(m), "A,B");
	sv_msg_free(m);
}
END_TEST

/* RFC 5293 §4: at the start by default, at the end with :last; every
 * version keeps its own bytes. */
START_TEST(test_add_versions)
{
	struct sv_msg *m = msg("A: 1\nB:  two\n\tfolded\n\nbody\n\nmore\n");
	add(m, "X-First", "one", false);
	ck_assert_uint_eq(sv_msg_version(m), 1);
	add(m, "X-Last", "two", true);
	add(m, "X-First", "zero", false);
	ck_assert_uint_eq(sv_msg_version(m), 3);
	ck_assert_str_eq(names(m), "X-First,X-First,A,B,X-Last");
	ck_assert_uint_eq(sv_msg_header_count(m, "x-first", 7), 2);
	struct sv_hdr *h = sv_msg_header(m, "X-FIRST", 7);
	ck_assert_str_eq(h->value, "zero");
	ck_assert_str_eq(h->next_same->value, "one");
	ck_assert_ptr_null(h->next_same->next_same);
	render_is(m, 3,
	          "X-First: zero\nX-First: one\nA: 1\nB:  two\n\tfolded\nX-Last: two\n"
	          "\nbody\n\nmore\n");
	render_is(m, 1, "X-First: one\nA: 1\nB:  two\n\tfolded\n\nbody\n\nmore\n");
	render_is(m, 2, "X-First: one\nA: 1\nB:  two\n\tfolded\nX-Last: two\n\nbody\n\nmore\n");
	render_is(m, 0, "A: 1\nB:  two\n\tfolded\n\nbody\n\nmore\n");
	/* built once */
	ck_assert_ptr_eq(sv_msg_render(m, 2, NULL), sv_msg_render(m, 2, NULL));
	sv_msg_free(m);
}
END_TEST

/* RFC 5293 §5: delete by the field; the others of that name stay. */
START_TEST(test_delete)
{
	struct sv_msg *m = msg("R: 1\nX: a\nR: 2\nX: b\nR: 3\n\nbody");
	struct sv_hdr *h = sv_msg_header(m, "x", 1);
	struct sv_hdr *del[3] = {h->next_same, h->next_same, NULL};
	ck_assert_uint_eq(sv_msg_delete_fields(m, del, 3), 1);
	ck_assert_uint_eq(sv_msg_version(m), 1);
	ck_assert_str_eq(names(m), "R,X,R,R");
	ck_assert_uint_eq(sv_msg_header_count(m, "X", 1), 1);
	ck_assert_str_eq(sv_msg_header(m, "x", 1)->value, "a");
	/* a pointer of no version of this message changes nothing */
	struct sv_hdr stray = *sv_msg_header(m, "r", 1);
	struct sv_hdr *sp = &stray;
	ck_assert_uint_eq(sv_msg_delete_fields(m, &sp, 1), 0);
	ck_assert_uint_eq(sv_msg_version(m), 1);
	/* every R at once: one version */
	struct sv_hdr *rs[3];
	size_t k = 0;
	for (struct sv_hdr *r = sv_msg_header(m, "R", 1); r; r = r->next_same)
		rs[k++] = r;
	ck_assert_uint_eq(sv_msg_delete_fields(m, rs, k), 3);
	ck_assert_uint_eq(sv_msg_version(m), 2);
	ck_assert_str_eq(names(m), "X");
	ck_assert_ptr_null(sv_msg_header(m, "R", 1));
	render_is(m, 1, "R: 1\nX: a\nR: 2\nR: 3\n\nbody");
	render_is(m, 2, "X: a\n\nbody");
	sv_msg_free(m);
}
END_TEST

/* Added fields take the message's line ends; a field ending the data
 * without a line break gets one. */
START_TEST(test_crlf)
{
	struct sv_msg *m = msg("A: 1\r\nB: 2\r\n\r\nbody\r\n");
	add(m, "X", "y", true);
	add(m, "Z", "w", false);
	render_is(m, 2, "Z: w\r\nA: 1\r\nB: 2\r\nX: y\r\n\r\nbody\r\n");
	sv_msg_free(m);
	m = msg("A: 1");
	add(m, "X", "y", true);
	render_is(m, 1, "A: 1\nX: y\n");
	sv_msg_free(m);
}
END_TEST

/* RFC 5322 §2.1: a body the original began without the empty line gets
 * one, so that it stays the body. */
START_TEST(test_no_separator)
{
	struct sv_msg *m = msg("hello world\n");
	add(m, "X", "y", false);
	render_is(m, 1, "X: y\n\nhello world\n");
	size_t len;
	ck_assert_str_eq(sv_msg_body(m, &len), "hello world\n");
	sv_msg_free(m);
}
END_TEST

/* Lines at the very start that continue no field (they begin with white
 * space) belong to no field the view shows, yet they are the message's:
 * every version keeps them, ahead of every field, so that none of them
 * becomes the continuation of an added field. */
START_TEST(test_leading_continuation)
{
	struct sv_msg *m = msg(" stray\n\tmore\nA: 1\n\nbody\n");
	add(m, "X", "y", false);
	add(m, "Z", "w", true);
	render_is(m, 2, " stray\n\tmore\nX: y\nA: 1\nZ: w\n\nbody\n");
	struct sv_hdr *a = sv_msg_header(m, "A", 1);
	ck_assert_uint_eq(sv_msg_delete_fields(m, &a, 1), 1);
	render_is(m, 3, " stray\n\tmore\nX: y\nZ: w\n\nbody\n");
	sv_msg_free(m);
	/* no field at all: they stay the header's, the body stays the body */
	m = msg(" stray\nbody line\n");
	add(m, "X", "y", false);
	render_is(m, 1, " stray\nX: y\n\nbody line\n");
	struct sv_msg *again = msg(sv_msg_render(m, 1, NULL));
	ck_assert_str_eq(sv_msg_header(again, "X", 1)->value, "y");
	size_t len;
	ck_assert_str_eq(sv_msg_body(again, &len), "body line\n");
	sv_msg_free(again);
	sv_msg_free(m);
	/* without a line break at the end */
	m = msg(" stray");
	add(m, "X", "y", true);
	render_is(m, 1, " stray\nX: y\n");
	sv_msg_free(m);
}
END_TEST

/* RFC 5293 §4: a value that is not plain unstructured text is encoded:
 * non-ASCII as RFC 2047 words, line breaks become whitespace (no field
 * can be injected), long values folded within 78 columns. */
START_TEST(test_value_encoding)
{
	struct sv_msg *m = msg("A: 1\n\n");
	add(m, "Subject", "caf\xc3\xa9 cr\xc3\xa8me", false);
	size_t len;
	const char *r = sv_msg_render(m, 1, &len);
	ck_assert_ptr_nonnull(strstr(r, "Subject: =?UTF-8?"));
	for (size_t i = 0; i < len; i++)
		ck_assert_msg((unsigned char)r[i] < 0x80, "8-bit byte in the header");
	struct sv_hdr *h = sv_msg_header(m, "subject", 7);
	ck_assert_str_eq(sv_msg_header_decoded(m, h, NULL), "caf\xc3\xa9 cr\xc3\xa8me");

	add(m, "X-Inject", "a\r\nBcc: victim@example.com\nb", true);
	r = sv_msg_render(m, 2, &len);
	ck_assert_ptr_null(strstr(r, "\nBcc:"));
	ck_assert_uint_eq(sv_msg_header_count(m, "bcc", 3), 0);
	ck_assert_str_eq(sv_msg_header(m, "x-inject", 8)->value, "a Bcc: victim@example.com b");

	char longv[600];
	for (size_t i = 0; i < sizeof longv - 1; i++)
		longv[i] = i % 7 == 6 ? ' ' : 'w';
	longv[sizeof longv - 1] = '\0';
	add(m, "X-Long", longv, true);
	r = sv_msg_render(m, 3, &len);
	size_t col = 0;
	for (size_t i = 0; i < len; i++) {
		col = r[i] == '\n' ? 0 : col + 1;
		ck_assert_msg(col <= 78, "line longer than 78 at %zu", i);
	}
	h = sv_msg_header(m, "x-long", 6);
	ck_assert_uint_eq(h->vlen, strlen(longv) - (longv[strlen(longv) - 1] == ' '));
	ck_assert_int_eq(memcmp(h->value, longv, h->vlen), 0);
	sv_msg_free(m);
}
END_TEST

/* Address lists of added fields parse as parsed ones do. */
START_TEST(test_added_addresses)
{
	struct sv_msg *m = msg("From: a@b.example\n\nx");
	add(m, "Cc", "Someone <some@one.example>, two@two.example", false);
	const struct sv_addr_list *al = sv_msg_header_addresses(m, sv_msg_header(m, "cc", 2));
	ck_assert_uint_eq(al->n, 2);
	ck_assert_str_eq(al->v[0].addr, "some@one.example");
	ck_assert_str_eq(al->v[1].addr, "two@two.example");
	sv_msg_free(m);
}
END_TEST

START_TEST(test_refusals)
{
	struct sv_msg *m = msg("A: 1\n\nbody");
	ck_assert_int_eq(sv_msg_add_field(m, "Bad Name", 8, "v", 1, false, 0), SV_FAIL);
	ck_assert_int_eq(sv_msg_add_field(m, "Bad:", 4, "v", 1, false, 0), SV_FAIL);
	ck_assert_int_eq(sv_msg_add_field(m, "", 0, "v", 1, false, 0), SV_FAIL);
	/* RFC 5322 §2.1.1: "Name:" must fit a line of 998 */
	char name[999];
	memset(name, 'n', sizeof name);
	ck_assert_int_eq(sv_msg_add_field(m, name, 998, "v", 1, false, 0), SV_FAIL);
	ck_assert_int_eq(sv_msg_add_field(m, "X", 1, "value", 5, false, 12), SV_LIMIT);
	ck_assert_uint_eq(sv_msg_version(m), 0);
	ck_assert_int_eq(sv_msg_add_field(m, "X", 1, "value", 5, false, 100), SV_OK);
	ck_assert_int_eq(sv_msg_add_field(m, name, 997, "v", 1, false, 0), SV_OK);
	size_t len;
	const char *r = sv_msg_render(m, 2, &len);
	ck_assert_ptr_nonnull(r);
	for (const char *p = r, *e = r + len; p < e;) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		ck_assert_uint_le((size_t)((nl ? nl : e) - p), 998);
		p = nl ? nl + 1 : e;
	}
	sv_msg_free(m);
}
END_TEST

/* RFC 5228 §2.10.6: a failed script's edits are forgotten, and the
 * version numbers they had are given to new contents. */
START_TEST(test_rewind)
{
	struct sv_msg *m = msg("A: 1\n\nbody\n");
	add(m, "X", "1", false);
	add(m, "Y", "2", false);
	render_is(m, 2, "Y: 2\nX: 1\nA: 1\n\nbody\n");
	ck_assert_str_eq(names(m), "Y,X,A");
	sv_msg_rewind(m, 1);
	ck_assert_uint_eq(sv_msg_version(m), 1);
	ck_assert_str_eq(names(m), "X,A");
	ck_assert_ptr_null(sv_msg_render(m, 2, NULL));
	add(m, "Z", "3", true);
	render_is(m, 2, "X: 1\nA: 1\nZ: 3\n\nbody\n");
	ck_assert_str_eq(names(m), "X,A,Z");
	sv_msg_rewind(m, 0);
	ck_assert_str_eq(names(m), "A");
	render_is(m, 0, "A: 1\n\nbody\n");
	sv_msg_free(m);
}
END_TEST

/* The MIME tree is the original's (message.h; RFC 5293 §7 lets a change
 * of Content-Type leave the parsing alone), however late it is first
 * built, and its top part's fields outlive every later edit. */
START_TEST(test_mime_original)
{
	struct sv_msg *m = msg("Content-Type: text/html\nA: 1\n\n<b>x</b>\n");
	struct sv_hdr *ct = sv_msg_header(m, "content-type", 12);
	ck_assert_uint_eq(sv_msg_delete_fields(m, &ct, 1), 1);
	add(m, "Content-Type", "image/png", false);
	ck_assert_uint_eq(sv_msg_header_count(m, "content-type", 12), 1);
	const struct sv_mime_part *p = sv_msg_mime(m);
	ck_assert_str_eq(p->type, "text");
	ck_assert_str_eq(p->subtype, "html");
	/* the view the tree could have pointed into is rebuilt, freed */
	add(m, "X", "1", true);
	ck_assert_uint_eq(sv_msg_header_count(m, "X", 1), 1);
	ck_assert_uint_eq(p->nhdrs, 2);
	ck_assert_uint_eq(p->hdrs[0].namelen, 12);
	ck_assert(memcmp(p->hdrs[0].name, "Content-Type", 12) == 0);
	ck_assert_str_eq(p->hdrs[1].value, "1");
	sv_msg_free(m);
}
END_TEST

/* A delivery renders each version an action carries, up to one per
 * action: the message holds one rendering at a time, so a large message
 * with many versions costs one copy, not one per version. */
START_TEST(test_render_held_once)
{
	struct sv_msg *m = msg("A: 1\n\nbody\n");
	for (int i = 0; i < 30; i++)
		add(m, "X", "v", true);
	for (unsigned v = 1; v <= 30; v++) {
		size_t len;
		ck_assert_ptr_nonnull(sv_msg_render(m, v, &len));
		ck_assert_uint_eq(len, 11 + 5 * v);
	}
	/* the last one only */
	ck_assert_ptr_nonnull(m->renders);
	ck_assert_uint_eq(m->renders->version, 30);
	render_is(m, 7, "A: 1\nX: v\nX: v\nX: v\nX: v\nX: v\nX: v\nX: v\n\nbody\n");
	/* a rewind past the one held drops it; the version made again is new */
	sv_msg_rewind(m, 5);
	add(m, "Y", "w", false);
	render_is(m, 6, "Y: w\nA: 1\nX: v\nX: v\nX: v\nX: v\nX: v\n\nbody\n");
	sv_msg_free(m);
}
END_TEST

/* Many edits with no reader between them cost what they add. */
START_TEST(test_many_edits)
{
	struct sv_msg *m = msg("A: 1\n\nbody\n");
	for (int i = 0; i < 20000; i++)
		add(m, i % 2 ? "X" : "Y", "v", i % 3 == 0);
	ck_assert_uint_eq(sv_msg_header_count(m, "x", 1), 10000);
	ck_assert_uint_eq(sv_msg_header_count(m, "a", 1), 1);
	size_t n;
	sv_msg_headers(m, &n);
	ck_assert_uint_eq(n, 20001);
	sv_msg_free(m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("msg_versions");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_unedited);
	tcase_add_test(tc, test_add_versions);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_no_separator);
	tcase_add_test(tc, test_leading_continuation);
	tcase_add_test(tc, test_value_encoding);
	tcase_add_test(tc, test_added_addresses);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_rewind);
	tcase_add_test(tc, test_mime_original);
	tcase_add_test(tc, test_render_held_once);
	tcase_add_test(tc, test_many_edits);
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
