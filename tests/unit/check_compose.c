/*
 * check_compose.c: the composer of generated mail (src/mail/compose.c).
 *
 * Exact output where it is deterministic (the clock, pid and random bits
 * are injected), and structure otherwise: RFC 5322 §2.1.1 line lengths,
 * RFC 2047 §2 encoded-word length and §5 whole characters, decoding back
 * with sift's own decoder, no field injection from any argument, MIME
 * (RFC 2045/2046) read back with sift's own parser, RFC 5322 §3.6.4
 * references, RFC 3834 / RFC 5230 §5 reply fields, RFC 5429 / RFC 8098
 * reject MDNs.
 */
#include <check.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/utf8.h"
#include "mail/compose.h"
#include "mail/mail-private.h"
#include "mail/message.h"

#define CAP (1024 * 1024)

static const struct sv_compose_ids fixed = {
	.now = 1709626020, /* Tue, 5 Mar 2024 08:07:00 UTC */
	.tz_minutes = 60,
	.pid = 4242,
	.random = 0x1234,
};

/* ---- helpers ---------------------------------------------------------------- */

/* RFC 5322 §2.1.1 and the LF convention: no CR, no NUL, every line at
 * most 998; header lines at most hdr_max. */
static void check_lines(const char *m, size_t n, size_t hdr_max)
{
	bool in_head = true;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && m[i] != '\n') {
			ck_assert_msg(m[i] != '\r', "CR at %zu", i);
			ck_assert_msg(m[i] != '\0', "NUL at %zu", i);
			continue;
		}
		size_t len = i - start;
		ck_assert_msg(len <= SV_COMPOSE_HARD_LINE, "line of %zu at %zu", len, start);
		if (in_head && len == 0)
			in_head = false;
		else if (in_head)
			ck_assert_msg(len <= hdr_max, "header line of %zu: %.*s", len, (int)len,
				      m + start);
		start = i + 1;
	}
}

/* Each encoded word of a field at most 75 characters (RFC 2047 §2), and
 * its own bytes whole UTF-8 characters (§5: no character split across
 * words): the words' payloads are decoded one by one, here. */
static void check_ewords(const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	while ((p = memmem(p, (size_t)(end - p), "=?", 2)) != NULL) {
		const char *q = p + 2, *mark[3];
		int marks = 0;
		while (q < end && marks < 3) {
			if (*q == '?')
				mark[marks++] = q;
			q++;
		}
		ck_assert_msg(marks == 3 && q < end && *q == '=', "unterminated word at %.20s", p);
		q++;
		size_t wl = (size_t)(q - p);
		ck_assert_msg(wl <= 75, "encoded word of %zu: %.*s", wl, (int)wl, p);
		ck_assert(strncmp(p, "=?UTF-8?", 8) == 0);
		const char *t = mark[1] + 1;
		size_t tl = (size_t)(mark[2] - t);
		struct sv_buf raw = SV_BUF_INIT;
		if (mark[1][-1] == 'B') {
			sv_mail_base64_decode(&raw, t, tl);
		} else {
			ck_assert(mark[1][-1] == 'Q');
			for (size_t i = 0; i < tl; i++) {
				if (t[i] == '_') {
					sv_buf_putc(&raw, ' ');
				} else if (t[i] == '=') {
					ck_assert(i + 2 < tl);
					char hx[3] = {t[i + 1], t[i + 2], 0};
					sv_buf_putc(&raw, (char)strtol(hx, NULL, 16));
					i += 2;
				} else {
					/* RFC 2047 §5(3): the phrase-safe set */
					ck_assert(sv_ascii_isalpha((unsigned char)t[i]) ||
						  sv_ascii_isdigit((unsigned char)t[i]) ||
						  strchr("!*+-/", t[i]));
					sv_buf_putc(&raw, t[i]);
				}
			}
		}
		ck_assert_msg(raw.len > 0 && sv_utf8_valid(raw.p, raw.len),
			      "word %.*s splits a character", (int)wl, p);
		sv_buf_free(&raw);
		p = q;
	}
}

/* Finish c into out; assert OK. */
static void finish(struct sv_compose *c, struct sv_buf *out)
{
	enum sv_status st = sv_compose_finish(c, out);
	ck_assert_msg(st == SV_OK, "finish: %s", sv_status_name(st));
}

/* Compose one field with name and value; returns the field text. */
static char *one_field(const char *name, const char *value, size_t len, enum sv_status *st_r)
{
	struct sv_compose c;
	sv_compose_init(&c, &fixed, CAP);
	*st_r = sv_compose_header(&c, name, value, len);
	char *r = sv_strndup(c.head.p ? c.head.p : "", c.head.len);
	sv_compose_free(&c);
	return r;
}

/* The field's value read back by sift's own parser, decoded. */
static char *read_back(const char *field, const char *name)
{
	struct sv_buf m = SV_BUF_INIT;
	sv_buf_puts(&m, field);
	sv_buf_puts(&m, "\nbody\n");
	struct sv_msg *msg = sv_msg_new(m.p, m.len);
	size_t n;
	sv_msg_headers(msg, &n);
	ck_assert_uint_eq(n, 1); /* one field: nothing injected */
	struct sv_hdr *h = sv_msg_header(msg, name, strlen(name));
	ck_assert_ptr_nonnull(h);
	size_t dl;
	const char *d = sv_msg_header_decoded(msg, h, &dl);
	char *r = sv_strndup(d, dl);
	sv_msg_free(msg);
	sv_buf_free(&m);
	return r;
}

/* What the composer makes of user text: controls as spaces, runs of
 * whitespace one space, trimmed (compose.h). */
static char *normalised(const char *s, size_t n)
{
	struct sv_buf u = SV_BUF_INIT, o = SV_BUF_INIT;
	sv_mail_utf8_sanitize(&u, s, n);
	bool sp = true;
	for (size_t i = 0; i < u.len; i++) {
		unsigned char c = (unsigned char)u.p[i];
		bool ws = c <= ' ' || c == 127;
		if (c == 0xc2 && i + 1 < u.len && (unsigned char)u.p[i + 1] <= 0x9f) {
			ws = true;
			i++;
		}
		if (ws) {
			if (!sp)
				sv_buf_putc(&o, ' ');
			sp = true;
		} else {
			sv_buf_putc(&o, (char)c);
			sp = false;
		}
	}
	if (o.len && o.p[o.len - 1] == ' ')
		o.len--;
	char *r = sv_strndup(o.p ? o.p : "", o.len);
	sv_buf_free(&u);
	sv_buf_free(&o);
	return r;
}

/* ---- unstructured fields ------------------------------------------------------ */

static const struct {
	const char *in, *out, *rfc;
} field_cases[] = {
	{"hello world", "Subject: hello world\n", "RFC 5322 §3.6.5"},
	{"  padded\t\tout  ", "Subject: padded out\n", "whitespace collapsed"},
	{"", "Subject:\n", "RFC 5322 §3.2.5 empty unstructured"},
	/* B is shorter than Q for "café" (8 against 9 characters) */
	{"caf\xc3\xa9", "Subject: =?UTF-8?B?Y2Fmw6k=?=\n", "RFC 2047 §4.1"},
	/* Q when shorter; the restricted alphabet of §5(3) */
	{"a caf\xc3\xa9 ok", "Subject: a =?UTF-8?B?Y2Fmw6k=?= ok\n", "RFC 2047 §5 (1)"},
	{"Stra\xc3\x9f"
	 "e Bahnhofsvorpl\xc3\xa4tze test",
	 "Subject: =?UTF-8?Q?Stra=C3=9Fe_Bahnhofsvorpl=C3=A4tze?= test\n",
	 "RFC 2047 §6.2: the space between encoded words inside one; Q when shorter"},
	{"=?utf-8?q?not_a_word?=", "Subject: =?UTF-8?B?PT91dGYtOD9xP25vdF9hX3dvcmQ/PQ==?=\n",
	 "RFC 2047 §5: text that looks encoded is encoded"},
	{"line\r\nBcc: evil@example.org", "Subject: line Bcc: evil@example.org\n",
	 "RFC 5322 §2.2: CRLF becomes a space"},
	{"nul\0byte", "Subject: nul byte\n", "control characters are spaces"},
	{"c1\xc2\x85next", "Subject: c1 next\n", "C1 NEL is a space"},
};

START_TEST(test_field_exact)
{
	const char *in = field_cases[_i].in;
	size_t n = strlen(in);
	if (strncmp(in, "nul", 3) == 0)
		n = 8;
	enum sv_status st;
	char *f = one_field("Subject", in, n, &st);
	ck_assert_int_eq(st, SV_OK);
	ck_assert_msg(strcmp(f, field_cases[_i].out) == 0, "%s: got \"%s\" want \"%s\"",
		      field_cases[_i].rfc, f, field_cases[_i].out);
	sv_free(f);
}
END_TEST

static const char *const roundtrip_cases[] = {
	"plain ASCII subject that is long enough to need folding at least once or twice when "
	"written as one header field line",
	"Gr\xc3\xbc\xc3\x9f"
	"e aus K\xc3\xb6ln, sch\xc3\xb6nen Urlaub und bis bald im B\xc3\xbc"
	"ro \xe2\x80\x93 wir sehen uns am Montag wieder",
	/* CJK: three bytes a character, B encoding, many words */
	"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6\xe5\x90\x8d\xe3\x81\xa7"
	"\xe3\x81\x99\xe3\x80\x82\xe4\xbc\x91\xe6\x9a\x87\xe4\xb8\xad\xe3\x81\xa7\xe3\x81\x99"
	"\xe3\x80\x82\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6\xe5\x90\x8d"
	"\xe3\x81\xa7\xe3\x81\x99\xe3\x80\x82\xe4\xbc\x91\xe6\x9a\x87\xe4\xb8\xad\xe3\x81\xa7",
	/* four-byte characters that must never be split */
	"\xf0\x9f\x98\x80\xf0\x9f\x98\x81\xf0\x9f\x98\x82\xf0\x9f\x98\x83\xf0\x9f\x98\x84"
	"\xf0\x9f\x98\x85\xf0\x9f\x98\x86\xf0\x9f\x98\x87\xf0\x9f\x98\x88\xf0\x9f\x98\x89"
	"\xf0\x9f\x98\x8a\xf0\x9f\x98\x8b\xf0\x9f\x98\x8c\xf0\x9f\x98\x8d\xf0\x9f\x98\x8e",
	"mixed caf\xc3\xa9 and plain words then \xc3\xa9\xc3\xa9\xc3\xa9 again and "
	"=?iso-8859-1?q?x?= at the end",
	"under_score and question? marks = signs",
	"invalid \xff\xfe bytes become replacement characters",
};

START_TEST(test_field_roundtrip)
{
	const char *in = roundtrip_cases[_i];
	enum sv_status st;
	char *f = one_field("Subject", in, strlen(in), &st);
	ck_assert_int_eq(st, SV_OK);
	check_lines(f, strlen(f), SV_COMPOSE_LINE);
	check_ewords(f, strlen(f));
	for (const char *p = f; *p; p++)
		ck_assert_msg((unsigned char)*p < 0x80, "8-bit byte in a field: %s", f);
	char *back = read_back(f, "Subject");
	char *want = normalised(in, strlen(in));
	ck_assert_msg(strcmp(back, want) == 0, "\"%s\" read back as \"%s\"\n%s", want, back, f);
	sv_free(back);
	sv_free(want);
	sv_free(f);
}
END_TEST

/* A word longer than 998 cannot stay one line: it is encoded (and then
 * folded); shorter long words stay as they are on a line of their own. */
START_TEST(test_field_long_word)
{
	struct sv_buf in = SV_BUF_INIT;
	for (int i = 0; i < 3000; i++)
		sv_buf_putc(&in, (char)('a' + i % 26));
	enum sv_status st;
	char *f = one_field("X-Long", in.p, in.len, &st);
	ck_assert_int_eq(st, SV_OK);
	check_lines(f, strlen(f), SV_COMPOSE_LINE);
	check_ewords(f, strlen(f));
	char *back = read_back(f, "X-Long");
	ck_assert_str_eq(back, in.p);
	sv_free(back);
	sv_free(f);

	sv_buf_reset(&in);
	sv_buf_puts(&in, "short ");
	for (int i = 0; i < 500; i++)
		sv_buf_putc(&in, 'x');
	f = one_field("X-Long", in.p, in.len, &st);
	ck_assert_int_eq(st, SV_OK);
	check_lines(f, strlen(f), SV_COMPOSE_HARD_LINE);
	ck_assert_ptr_null(strstr(f, "=?"));
	ck_assert_ptr_nonnull(strstr(f, "X-Long: short\n xxxx"));
	sv_free(f);
	sv_buf_free(&in);
}
END_TEST

START_TEST(test_field_names)
{
	static const char *const bad[] = {"",
					  "Sub ject",
					  "Subject:",
					  "Sub\nject",
					  "Content-Type",
					  "content-transfer-encoding",
					  "MIME-Version",
					  "X-\xc3\xa9",
					  "X-123456789012345678901234567890123456789012345678901234567890"
					  "123456789012345"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sv_compose c;
		sv_compose_init(&c, &fixed, CAP);
		ck_assert_int_eq(sv_compose_header(&c, bad[i], "v", 1), SV_FAIL);
		/* sticky: later calls do nothing and return the first failure */
		ck_assert_int_eq(sv_compose_header(&c, "Subject", "v", 1), SV_FAIL);
		struct sv_buf out = SV_BUF_INIT;
		ck_assert_int_eq(sv_compose_finish(&c, &out), SV_FAIL);
		ck_assert_uint_eq(out.len, 0);
		sv_buf_free(&out);
		sv_compose_free(&c);
	}
	struct sv_compose c;
	sv_compose_init(&c, &fixed, CAP);
	ck_assert_int_eq(sv_compose_header(&c, NULL, "v", 1), SV_FAIL);
	sv_compose_free(&c);
	sv_compose_init(&c, &fixed, CAP);
	ck_assert_int_eq(sv_compose_header(&c, "Content-Language", "de", 2), SV_OK);
	sv_compose_free(&c);
}
END_TEST

/* No argument can add a field or a line that is not a continuation
 * (RFC 5322 §2.2): hostile bytes in every text argument. */
START_TEST(test_no_injection)
{
	static const char *const pieces[] = {
		"\r\n", "\n", "\r", "Bcc: victim@example.org", ":", "\0", "\t", " ",
		"\xc3\xa9", "=?utf-8?q?", "?=", "\r\n\r\n", "\x1b[31m", "\xc2\x85", "\xe2\x80\xa8",
		"\xff", "\"", "\\", "<", ">", "@", "(", ")", "x", "\x7f"};
	size_t np = sizeof pieces / sizeof pieces[0];
	unsigned seed = 12345;
	for (int round = 0; round < 400; round++) {
		struct sv_buf v = SV_BUF_INIT;
		int k = 1 + (int)(rand_r(&seed) % 40);
		for (int j = 0; j < k; j++) {
			const char *p = pieces[rand_r(&seed) % np];
			sv_buf_append(&v, p, *p ? strlen(p) : 1);
		}
		struct sv_compose c;
		sv_compose_init(&c, &fixed, CAP);
		ck_assert_int_eq(sv_compose_header(&c, "Subject", v.p, v.len), SV_OK);
		char disp[SV_COMPOSE_MAX_PHRASE + 1];
		size_t dl = v.len < SV_COMPOSE_MAX_PHRASE ? v.len : SV_COMPOSE_MAX_PHRASE;
		memcpy(disp, v.p, dl);
		disp[dl] = '\0'; /* a C string: cut at the first NUL */
		ck_assert_int_eq(sv_compose_address_header(&c, "From", disp, "u@example.org"),
				 SV_OK);
		ck_assert_int_eq(sv_compose_body_text(&c, v.p, v.len), SV_OK);
		struct sv_buf out = SV_BUF_INIT;
		finish(&c, &out);
		check_lines(out.p, out.len, SV_COMPOSE_LINE);
		check_ewords(out.p, (size_t)(strstr(out.p, "\n\n") - out.p));
		struct sv_msg *m = sv_msg_new(out.p, out.len);
		size_t n;
		struct sv_hdr *h = sv_msg_headers(m, &n);
		/* Subject, From, MIME-Version, Content-Type, maybe C-T-E */
		ck_assert_msg(n == 4 || n == 5, "%zu fields:\n%s", n, out.p);
		ck_assert(sv_ascii_ieq(h[0].name, h[0].namelen, "Subject", 7));
		ck_assert(sv_ascii_ieq(h[1].name, h[1].namelen, "From", 4));
		ck_assert(sv_ascii_ieq(h[2].name, h[2].namelen, "MIME-Version", 12));
		ck_assert_uint_eq(sv_msg_header_count(m, "Bcc", 3), 0);
		/* the From field still holds exactly our address */
		const struct sv_addr_list *al = sv_msg_header_addresses(m, &h[1]);
		ck_assert_uint_eq(al->n, 1);
		ck_assert_str_eq(al->v[0].addr, "u@example.org");
		sv_msg_free(m);
		sv_buf_free(&out);
		sv_compose_free(&c);
		sv_buf_free(&v);
	}
}
END_TEST

/* ---- addresses ---------------------------------------------------------------- */

static const struct {
	const char *display, *addr, *out;
} addr_cases[] = {
	{NULL, "joe@example.org", "From: joe@example.org\n"},
	{"", "joe@example.org", "From: joe@example.org\n"},
	{"Joe", "joe@example.org", "From: Joe <joe@example.org>\n"},
	{"Joe Q. Public", "joe@example.org", "From: \"Joe Q. Public\" <joe@example.org>\n"},
	{"Doe, \"J\"", "jd@example.org", "From: \"Doe, \\\"J\\\"\" <jd@example.org>\n"},
	{"J\xc3\xb6rg", "j@example.org", "From: =?UTF-8?B?SsO2cmc=?= <j@example.org>\n"},
	{"\"quoted local\"", "\"a b\"@example.org",
	 "From: \"\\\"quoted local\\\"\" <\"a b\"@example.org>\n"},
	{NULL, "postmaster@[192.0.2.1]", "From: postmaster@[192.0.2.1]\n"},
	{"Evil\r\nBcc: x@y", "e@example.org", "From: \"Evil Bcc: x@y\" <e@example.org>\n"},
};

START_TEST(test_address_exact)
{
	struct sv_compose c;
	sv_compose_init(&c, &fixed, CAP);
	ck_assert_int_eq(
		sv_compose_address_header(&c, "From", addr_cases[_i].display, addr_cases[_i].addr),
		SV_OK);
	ck_assert_str_eq(c.head.p, addr_cases[_i].out);
	/* sift's address parser reads it back */
	struct sv_buf m = SV_BUF_INIT;
	sv_buf_append(&m, c.head.p, c.head.len);
	sv_buf_puts(&m, "\n");
	struct sv_msg *msg = sv_msg_new(m.p, m.len);
	const struct sv_addr_list *al =
		sv_msg_header_addresses(msg, sv_msg_header(msg, "From", 4));
	ck_assert_uint_eq(al->n, 1);
	ck_assert(al->v[0].valid);
	if (addr_cases[_i].display && *addr_cases[_i].display) {
		char *want = normalised(addr_cases[_i].display, strlen(addr_cases[_i].display));
		ck_assert_ptr_nonnull(al->v[0].display);
		ck_assert_str_eq(al->v[0].display, want);
		sv_free(want);
	}
	sv_msg_free(msg);
	sv_buf_free(&m);
	sv_compose_free(&c);
}
END_TEST

START_TEST(test_address_long_display)
{
	/* a long display name folds (inside the quoted string, RFC 5322
	   §3.2.4 FWS) and reads back unchanged */
	const char *d = "Very Long Display Name, With A Comma, That Goes On And On For "
			"Longer Than One Line Of Seventy-Eight Characters Could Ever Hold";
	struct sv_compose c;
	sv_compose_init(&c, &fixed, CAP);
	ck_assert_int_eq(sv_compose_address_header(&c, "Reply-To", d, "x@example.org"), SV_OK);
	check_lines(c.head.p, c.head.len, SV_COMPOSE_LINE);
	ck_assert_ptr_nonnull(strchr(c.head.p, '\n') + 1);
	ck_assert(strchr(c.head.p, '\n')[1] == ' '); /* folded */
	struct sv_buf m = SV_BUF_INIT;
	sv_buf_append(&m, c.head.p, c.head.len);
	sv_buf_puts(&m, "\n");
	struct sv_msg *msg = sv_msg_new(m.p, m.len);
	const struct sv_addr_list *al =
		sv_msg_header_addresses(msg, sv_msg_header(msg, "Reply-To", 8));
	ck_assert_uint_eq(al->n, 1);
	ck_assert_str_eq(al->v[0].display, d);
	ck_assert_str_eq(al->v[0].addr, "x@example.org");
	sv_msg_free(msg);
	sv_buf_free(&m);
	sv_compose_free(&c);

	/* over the bound: an error, not a cut */
	char big[SV_COMPOSE_MAX_PHRASE + 2];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	sv_compose_init(&c, &fixed, CAP);
	ck_assert_int_eq(sv_compose_address_header(&c, "From", big, "x@example.org"), SV_LIMIT);
	sv_compose_free(&c);
}
END_TEST

START_TEST(test_address_invalid)
{
	static const char *const bad[] = {
		"", "joe", "@example.org", "joe@", "a b@example.org", "<a@example.org>",
		"a@b@example.org", "a..b@example.org", ".a@example.org", "a.@example.org",
		"j\xc3\xb6rg@example.org", "a@exa mple.org", "a@example..org", "a@-x_y.org",
		"a@example.org\n", "a@example.org\r\nBcc: x@y", "\"a\"b\"@example.org",
		"\"unterminated@example.org", "a@[1.2.3.4", "a@[1.2[3].4]",
		"0123456789012345678901234567890123456789012345678901234567890123456789@x.org",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sv_compose c;
		sv_compose_init(&c, &fixed, CAP);
		ck_assert_msg(sv_compose_address_header(&c, "To", "Name", bad[i]) == SV_FAIL,
			      "accepted \"%s\"", bad[i]);
		ck_assert_uint_eq(c.head.len, 0);
		sv_compose_free(&c);
	}
	struct sv_compose c;
	sv_compose_init(&c, &fixed, CAP);
	ck_assert_int_eq(sv_compose_address_header(&c, "To", "Name", NULL), SV_FAIL);
	sv_compose_free(&c);
}
END_TEST

/* ---- date and message id ----------------------------------------------------- */

static const struct {
	time_t t;
	int tz;
	const char *out;
} date_cases[] = {
	{0, 0, "Thu, 1 Jan 1970 00:00:00 +0000"},
	{1709626020, 60, "Tue, 5 Mar 2024 09:07:00 +0100"},
	{1709626020, -210, "Tue, 5 Mar 2024 04:37:00 -0330"},
	{951782400, 0, "Tue, 29 Feb 2000 00:00:00 +0000"},
	{4102444799, 0, "Thu, 31 Dec 2099 23:59:59 +0000"},
	{1709626020, 5000, "Tue, 5 Mar 2024 08:07:00 +0000"}, /* out of range: UTC */
};

START_TEST(test_date)
{
	char d[SV_COMPOSE_DATE_SIZE];
	sv_compose_format_date(d, date_cases[_i].t, date_cases[_i].tz);
	ck_assert_str_eq(d, date_cases[_i].out);
	struct sv_compose c;
	sv_compose_init(&c, &fixed, CAP);
	enum sv_status st = sv_compose_date(&c, date_cases[_i].t, date_cases[_i].tz);
	if (date_cases[_i].tz == 5000) {
		ck_assert_int_eq(st, SV_FAIL);
	} else {
		ck_assert_int_eq(st, SV_OK);
		char want[64];
		snprintf(want, sizeof want, "Date: %s\n", d);
		ck_assert_str_eq(c.head.p, want);
	}
	sv_compose_free(&c);
}
END_TEST

START_TEST(test_message_id)
{
	struct sv_compose c;
	sv_compose_init(&c, &fixed, CAP);
	ck_assert_int_eq(sv_compose_message_id(&c, "mx.example.org"), SV_OK);
	/* RFC 5322 §3.6.4: time, pid, random; "@" the host */
	ck_assert(strncmp(c.message_id, "<20240305080700.4242.", 21) == 0);
	size_t n = strlen(c.message_id);
	ck_assert_uint_eq(n, 21 + 16 + 16);
	ck_assert_str_eq(c.message_id + 37, "@mx.example.org>");
	char want[512];
	snprintf(want, sizeof want, "Message-ID: %s\n", c.message_id);
	ck_assert_str_eq(c.head.p, want);
	char first[SV_COMPOSE_MAX_MSGID + 1];
	memcpy(first, c.message_id, n + 1);
	sv_compose_free(&c);

	/* the same ids give the same id (deterministic), other random bits
	   another one */
	sv_compose_init(&c, &fixed, CAP);
	sv_compose_message_id(&c, "mx.example.org");
	ck_assert_str_eq(c.message_id, first);
	sv_compose_free(&c);
	struct sv_compose_ids other = fixed;
	other.random++;
	sv_compose_init(&c, &other, CAP);
	sv_compose_message_id(&c, "mx.example.org");
	ck_assert_str_ne(c.message_id, first);
	sv_compose_free(&c);

	/* the system source differs from call to call */
	struct sv_compose_ids a, b;
	sv_compose_ids_system(&a);
	sv_compose_ids_system(&b);
	ck_assert_uint_eq(a.pid, (unsigned long)getpid());
	ck_assert(a.random != b.random);

	static const char *const bad[] = {"", "a b", "x..y", "ex@mple", "h\nBcc: x", NULL};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sv_compose_init(&c, &fixed, CAP);
		ck_assert_int_eq(sv_compose_message_id(&c, bad[i]), SV_FAIL);
		sv_compose_free(&c);
	}
}
END_TEST

/* ---- reply helpers ---------------------------------------------------------- */

static const struct {
	const char *msgid, *refs, *irt, *want_irt, *want_refs, *rfc;
} ref_cases[] = {
	{"<a@x>", NULL, NULL, "<a@x>", "<a@x>", "§3.6.4 no parent refs"},
	{"<c@x>", "<a@x> <b@x>", "<b@x>", "<c@x>", "<a@x> <b@x> <c@x>", "§3.6.4 refs + id"},
	{"<c@x>", "<a@x>\r\n <b@x>", NULL, "<c@x>", "<a@x> <b@x> <c@x>", "folded refs"},
	{"<c@x>", NULL, "<b@x>", "<c@x>", "<b@x> <c@x>", "§3.6.4 single In-Reply-To"},
	{"<c@x>", NULL, "<a@x> <b@x>", "<c@x>", "<c@x>", "§3.6.4 In-Reply-To of two ids"},
	{NULL, "<a@x>", NULL, "", "<a@x>", "§3.6.4 parent without Message-ID"},
	{NULL, NULL, NULL, "", "", "nothing to refer to"},
	{"  <c@x> (comment)", "junk <bad id@x> <a@x> <noat>", NULL, "<c@x>", "<a@x> <c@x>",
	 "malformed ids left out"},
	{"<c@x>\nBcc: y", "<a@x>\r\nBcc: z", NULL, "<c@x>", "<a@x> <c@x>", "no injection"},
};

START_TEST(test_reply_refs)
{
	struct sv_buf irt = SV_BUF_INIT, refs = SV_BUF_INIT;
	const char *m = ref_cases[_i].msgid, *r = ref_cases[_i].refs, *i = ref_cases[_i].irt;
	sv_compose_reply_refs(m, m ? strlen(m) : 0, r, r ? strlen(r) : 0, i, i ? strlen(i) : 0,
			      &irt, &refs);
	ck_assert_msg(strcmp(irt.p ? irt.p : "", ref_cases[_i].want_irt) == 0, "%s: irt %s",
		      ref_cases[_i].rfc, irt.p);
	ck_assert_msg(strcmp(refs.p ? refs.p : "", ref_cases[_i].want_refs) == 0,
		      "%s: refs \"%s\"", ref_cases[_i].rfc, refs.p);
	sv_buf_free(&irt);
	sv_buf_free(&refs);
}
END_TEST

START_TEST(test_reply_refs_bounded)
{
	/* a long thread: the root and the latest ids, SV_COMPOSE_MAX_REFS */
	struct sv_buf r = SV_BUF_INIT, irt = SV_BUF_INIT, refs = SV_BUF_INIT;
	for (int i = 0; i < 500; i++)
		sv_buf_printf(&r, "<id%d@example.org> ", i);
	sv_compose_reply_refs("<new@example.org>", 17, r.p, r.len, NULL, 0, &irt, &refs);
	int count = 0;
	for (const char *p = refs.p; (p = strchr(p, '<')); p++)
		count++;
	ck_assert_int_eq(count, SV_COMPOSE_MAX_REFS);
	ck_assert(strncmp(refs.p, "<id0@example.org> <id482@example.org>", 37) == 0);
	ck_assert_ptr_nonnull(strstr(refs.p, "<id499@example.org> <new@example.org>"));
	/* written as a folded field */
	struct sv_compose c;
	sv_compose_init(&c, &fixed, CAP);
	ck_assert_int_eq(sv_compose_msgid_header(&c, "References", refs.p, refs.len), SV_OK);
	check_lines(c.head.p, c.head.len, SV_COMPOSE_LINE);
	ck_assert_int_eq(sv_compose_msgid_header(&c, "In-Reply-To", "<a@b> junk", 10), SV_FAIL);
	sv_compose_free(&c);
	sv_buf_free(&r);
	sv_buf_free(&irt);
	sv_buf_free(&refs);
}
END_TEST

static const struct {
	const char *prefix, *in, *out;
} subj_cases[] = {
	{"Auto: ", "hello", "Auto: hello"},
	{"Auto: ", "Auto: hello", "Auto: hello"}, /* no "Auto: Auto: " */
	{"Auto: ", "AUTO:hello", "AUTO:hello"},
	{"Auto: ", "Re: hello", "Auto: Re: hello"},
	{"Re: ", "re: hello", "re: hello"},
	{"Auto: ", "", "Auto:"},
	{"Auto: ", NULL, "Auto:"},
	{"Auto: ", "=?UTF-8?Q?caf=C3=A9?=", "Auto: caf\xc3\xa9"},
	{"Auto: ", "=?utf-8?q?Auto:_again?=", "Auto: again"},
	{"Auto: ", "folded\r\n  subject\tline", "Auto: folded subject line"},
	{"Auto: ", "=?iso-8859-1?q?Gr=FC=DFe?=", "Auto: Gr\xc3\xbc\xc3\x9f"
						 "e"},
};

START_TEST(test_reply_subject)
{
	struct sv_buf b = SV_BUF_INIT;
	const char *in = subj_cases[_i].in;
	sv_compose_reply_subject(&b, subj_cases[_i].prefix, in, in ? strlen(in) : 0);
	ck_assert_str_eq(b.p, subj_cases[_i].out);
	sv_buf_free(&b);
}
END_TEST

/* A whole vacation reply, byte for byte (RFC 5230 §5, RFC 3834 §3.1). */
START_TEST(test_vacation_exact)
{
	static const char orig[] = "From: Sender <s@example.com>\r\n"
				   "To: u@example.org\r\n"
				   "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
				   "Message-ID: <m1@example.com>\r\n"
				   "References: <r0@example.com>\r\n"
				   "\r\n"
				   "Hi\r\n";
	struct sv_msg *m = sv_msg_new(orig, sizeof orig - 1);
	struct sv_compose c;
	sv_compose_init(&c, &fixed, CAP);
	sv_compose_date(&c, fixed.now, fixed.tz_minutes);
	sv_compose_address_header(&c, "From", "Ur\xc3\xa9 User", "u@example.org");
	sv_compose_address_header(&c, "To", NULL, "s@example.com");
	sv_compose_reply_headers(&c, m, "Auto: ", NULL);
	sv_compose_body_text(&c, "I am away.\r\nBack on Monday.", 27);
	struct sv_buf out = SV_BUF_INIT;
	finish(&c, &out);
	ck_assert_str_eq(out.p, "Date: Tue, 5 Mar 2024 09:07:00 +0100\n"
				"From: =?UTF-8?B?VXLDqSBVc2Vy?= <u@example.org>\n"
				"To: s@example.com\n"
				"Subject: Auto: =?UTF-8?B?R3LDvMOfZQ==?=\n"
				"In-Reply-To: <m1@example.com>\n"
				"References: <r0@example.com> <m1@example.com>\n"
				"Auto-Submitted: auto-replied\n"
				"MIME-Version: 1.0\n"
				"Content-Type: text/plain; charset=utf-8\n"
				"\n"
				"I am away.\n"
				"Back on Monday.\n");
	/* an explicit subject wins (RFC 5230 §4.5 :subject) */
	sv_compose_free(&c);
	sv_compose_init(&c, &fixed, CAP);
	sv_compose_reply_headers(&c, m, "Auto: ", "Out of office");
	ck_assert(strncmp(c.head.p, "Subject: Out of office\n", 23) == 0);
	sv_compose_free(&c);
	sv_buf_free(&out);
	sv_msg_free(m);
}
END_TEST

/* ---- bodies ------------------------------------------------------------------ */

static const struct {
	const char *in, *head, *body, *rfc;
} text_cases[] = {
	{"short ASCII\nlines\n", "Content-Type: text/plain; charset=utf-8\n", "short ASCII\nlines\n",
	 "7bit"},
	{"crlf\r\nand cr\rends", "Content-Type: text/plain; charset=utf-8\n", "crlf\nand cr\nends\n",
	 "LF everywhere, a final line end"},
	{"caf\xc3\xa9\n",
	 "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n",
	 "caf=C3=A9\n", "RFC 2045 §6.7 (1)"},
	{"trailing space \nFrom here\na=b\n",
	 "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n",
	 "trailing space=20\n=46rom here\na=3Db\n", "RFC 2045 §6.7 (3)"},
	{"", "Content-Type: text/plain; charset=utf-8\n", "", "empty"},
};

START_TEST(test_text_exact)
{
	struct sv_compose c;
	sv_compose_init(&c, &fixed, CAP);
	sv_compose_body_text(&c, text_cases[_i].in, strlen(text_cases[_i].in));
	struct sv_buf out = SV_BUF_INIT, want = SV_BUF_INIT;
	finish(&c, &out);
	sv_buf_printf(&want, "MIME-Version: 1.0\n%s\n%s", text_cases[_i].head, text_cases[_i].body);
	ck_assert_msg(strcmp(out.p, want.p) == 0, "%s: got\n%s", text_cases[_i].rfc, out.p);
	sv_buf_free(&out);
	sv_buf_free(&want);
	sv_compose_free(&c);
}
END_TEST

/* Quoted-printable lines stay at 76 and decode back exactly. */
START_TEST(test_text_qp_roundtrip)
{
	unsigned seed = 99;
	static const char *const pieces[] = {"a",  " ",    "\t", "=",        "\xc3\xa9",
					     "\n", "From ", ".", "\xe2\x82\xac", "\x01",
					     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"};
	for (int round = 0; round < 200; round++) {
		struct sv_buf in = SV_BUF_INIT;
		int k = 1 + (int)(rand_r(&seed) % 200);
		for (int j = 0; j < k; j++)
			sv_buf_puts(&in, pieces[rand_r(&seed) % (sizeof pieces / sizeof pieces[0])]);
		struct sv_compose c;
		sv_compose_init(&c, &fixed, CAP);
		ck_assert_int_eq(sv_compose_body_text(&c, in.p, in.len), SV_OK);
		struct sv_buf out = SV_BUF_INIT;
		finish(&c, &out);
		check_lines(out.p, out.len, SV_COMPOSE_LINE);
		struct sv_msg *m = sv_msg_new(out.p, out.len);
		struct sv_mime_part *p = sv_msg_mime(m);
		ck_assert_str_eq(p->ctype, "text/plain");
		ck_assert_str_eq(p->charset, "utf-8");
		/* 7bit only when ASCII with short lines */
		if (strcmp(p->encoding, "7bit") == 0) {
			for (size_t i = 0; i < p->blen; i++)
				ck_assert((unsigned char)p->body[i] < 0x80);
		} else {
			ck_assert_str_eq(p->encoding, "quoted-printable");
			/* RFC 2045 §6.7 (5): encoded lines of at most 76 */
			size_t col = 0;
			for (size_t i = 0; i < p->blen; i++) {
				col = p->body[i] == '\n' ? 0 : col + 1;
				ck_assert_uint_le(col, 76);
				ck_assert((unsigned char)p->body[i] < 0x80);
			}
		}
		size_t tl;
		const char *t = sv_msg_part_text(m, p, &tl);
		struct sv_buf want = SV_BUF_INIT;
		sv_buf_append(&want, in.p, in.len);
		if (want.len && want.p[want.len - 1] != '\n')
			sv_buf_putc(&want, '\n');
		ck_assert_uint_eq(tl, want.len);
		ck_assert(memcmp(t, want.p, tl) == 0);
		sv_msg_free(m);
		sv_buf_free(&want);
		sv_buf_free(&out);
		sv_compose_free(&c);
		sv_buf_free(&in);
	}
}
END_TEST

/* vacation :mime (RFC 5230 §4.7): the caller's entity. */
START_TEST(test_mime_entity)
{
	struct sv_compose c;
	struct sv_buf out = SV_BUF_INIT;
	/* an HTML part: its Content-* fields kept, others dropped */
	static const char html[] = "Content-Type: text/html; charset=utf-8\r\n"
				   "Content-Language: en\r\n"
				   "From: forged@example.org\r\n"
				   "MIME-Version: 1.0\r\n"
				   "\r\n"
				   "<p>Away</p>\r\n";
	sv_compose_init(&c, &fixed, CAP);
	sv_compose_header(&c, "Subject", "x", 1);
	ck_assert_int_eq(sv_compose_mime_body(&c, html, sizeof html - 1), SV_OK);
	finish(&c, &out);
	ck_assert_str_eq(out.p, "Subject: x\n"
				"MIME-Version: 1.0\n"
				"Content-Type: text/html; charset=utf-8\n"
				"Content-Language: en\n"
				"\n"
				"<p>Away</p>\n");
	sv_compose_free(&c);
	sv_buf_reset(&out);

	/* 8-bit text without an encoding becomes quoted-printable */
	static const char eight[] = "Content-Type: text/plain; charset=utf-8\n\nS\xc3\xa9jour\n";
	sv_compose_init(&c, &fixed, CAP);
	ck_assert_int_eq(sv_compose_mime_body(&c, eight, sizeof eight - 1), SV_OK);
	finish(&c, &out);
	ck_assert_str_eq(out.p, "MIME-Version: 1.0\n"
				"Content-Type: text/plain; charset=utf-8\n"
				"Content-Transfer-Encoding: quoted-printable\n"
				"\n"
				"S=C3=A9jour\n");
	sv_compose_free(&c);
	sv_buf_reset(&out);

	/* a multipart/alternative entity keeps its own structure */
	static const char alt[] = "Content-Type: multipart/alternative; boundary=\"b1\"\n"
				  "\n"
				  "--b1\n"
				  "Content-Type: text/plain\n"
				  "\n"
				  "Away\n"
				  "--b1\n"
				  "Content-Type: text/html\n"
				  "\n"
				  "<b>Away</b>\n"
				  "--b1--\n";
	sv_compose_init(&c, &fixed, CAP);
	ck_assert_int_eq(sv_compose_mime_body(&c, alt, sizeof alt - 1), SV_OK);
	finish(&c, &out);
	struct sv_msg *m = sv_msg_new(out.p, out.len);
	struct sv_mime_part *p = sv_msg_mime(m);
	ck_assert_str_eq(p->ctype, "multipart/alternative");
	ck_assert_str_eq(p->children->ctype, "text/plain");
	ck_assert_str_eq(p->children->next->ctype, "text/html");
	sv_msg_free(m);
	sv_compose_free(&c);
	sv_buf_free(&out);

	/* no fields: a text/plain body is assumed */
	sv_compose_init(&c, &fixed, CAP);
	ck_assert_int_eq(sv_compose_mime_body(&c, "\nbody only\n", 11), SV_OK);
	sv_compose_free(&c);

	static const char *const bad[] = {
		"Just some text, not an entity\n\nbody\n",
		" continuation first\n\nbody\n",
		"Content-Type: text/plain; name=\"caf\xc3\xa9\"\n\nbody\n",
		"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n\xc3\xa9\n",
		"Content-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nabc\n",
		"Content-Type: multipart/mixed; boundary=x\n"
		"Content-Transfer-Encoding: base64\n\n--x--\n",
		"Bad Name: v\n\nbody\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sv_compose_init(&c, &fixed, CAP);
		ck_assert_msg(sv_compose_mime_body(&c, bad[i], strlen(bad[i])) == SV_FAIL,
			      "accepted %s", bad[i]);
		sv_compose_free(&c);
	}
}
END_TEST

/* multipart/mixed with text, binary and a message, read back. */
START_TEST(test_multipart)
{
	static const char orig[] = "From: a@example.com\nSubject: inner\n\ninner body\n";
	unsigned char bin[300];
	for (size_t i = 0; i < sizeof bin; i++)
		bin[i] = (unsigned char)(i * 7);
	struct sv_compose c;
	sv_compose_init(&c, &fixed, CAP);
	sv_compose_header(&c, "Subject", "parts", 5);
	struct sv_compose_part *mix = sv_compose_multipart(&c, "mixed", NULL);
	ck_assert_ptr_nonnull(mix);
	ck_assert_int_eq(sv_compose_add(&c, mix, sv_compose_text_part(&c, "hello\n", 6)), SV_OK);
	ck_assert_int_eq(sv_compose_add(&c, mix,
					sv_compose_leaf_part(&c, "application/octet-stream",
							     (const char *)bin, sizeof bin)),
			 SV_OK);
	ck_assert_int_eq(sv_compose_add(&c, mix,
					sv_compose_message_part(&c, orig, sizeof orig - 1, false)),
			 SV_OK);
	ck_assert_int_eq(sv_compose_set_body(&c, mix), SV_OK);
	struct sv_buf out = SV_BUF_INIT;
	finish(&c, &out);
	check_lines(out.p, out.len, SV_COMPOSE_LINE);
	struct sv_msg *m = sv_msg_new(out.p, out.len);
	struct sv_mime_part *p = sv_msg_mime(m);
	ck_assert_str_eq(p->ctype, "multipart/mixed");
	struct sv_mime_part *k = p->children;
	ck_assert_str_eq(k->ctype, "text/plain");
	size_t tl;
	const char *t = sv_msg_part_text(m, k, &tl);
	ck_assert_uint_eq(tl, 6);
	ck_assert(memcmp(t, "hello\n", 6) == 0);
	k = k->next;
	ck_assert_str_eq(k->ctype, "application/octet-stream");
	ck_assert_str_eq(k->encoding, "base64");
	t = sv_msg_part_decoded(m, k, &tl);
	ck_assert_uint_eq(tl, sizeof bin);
	ck_assert(memcmp(t, bin, sizeof bin) == 0);
	k = k->next;
	ck_assert_str_eq(k->ctype, "message/rfc822");
	ck_assert(k->is_message);
	ck_assert_ptr_null(k->next);
	sv_msg_free(m);
	sv_compose_free(&c);

	/* content that holds the boundary the composer would pick first:
	   it picks another (RFC 2046 §5.1.1) */
	const char *b = strstr(out.p, "boundary=\"") + 10;
	size_t bl = (size_t)(strchr(b, '"') - b);
	struct sv_buf trap = SV_BUF_INIT;
	sv_buf_puts(&trap, "--");
	sv_buf_append(&trap, b, bl);
	sv_buf_puts(&trap, "\nhello\n");
	sv_compose_init(&c, &fixed, CAP);
	mix = sv_compose_multipart(&c, "mixed", NULL);
	sv_compose_add(&c, mix, sv_compose_text_part(&c, trap.p, trap.len));
	sv_compose_set_body(&c, mix);
	struct sv_buf out2 = SV_BUF_INIT;
	finish(&c, &out2);
	const char *b2 = strstr(out2.p, "boundary=\"") + 10;
	ck_assert(strncmp(b2, b, bl) != 0);
	m = sv_msg_new(out2.p, out2.len);
	p = sv_msg_mime(m);
	ck_assert_ptr_null(p->children->next); /* one part, not split */
	t = sv_msg_part_text(m, p->children, &tl);
	ck_assert_uint_eq(tl, trap.len);
	ck_assert(memcmp(t, trap.p, tl) == 0);
	sv_msg_free(m);
	sv_compose_free(&c);
	sv_buf_free(&trap);
	sv_buf_free(&out);
	sv_buf_free(&out2);
}
END_TEST

/* RFC 2046 §5.2.1: message/rfc822 is never encoded, so an original that
 * cannot travel as it is (a line over 998, a NUL) goes as its headers;
 * an mbox "From " line is not part of it. */
START_TEST(test_message_part_fallback)
{
	struct sv_buf orig = SV_BUF_INIT;
	sv_buf_puts(&orig, "From s@example.com Tue Mar  5 08:07:00 2024\n"
			   "Subject: long\n\n");
	for (int i = 0; i < 1200; i++)
		sv_buf_putc(&orig, 'x');
	sv_buf_puts(&orig, "\n");
	for (int round = 0; round < 3; round++) {
		if (round == 1) {
			orig.len -= 1201;
			sv_buf_append(&orig, "a\0b\n", 4);
		}
		struct sv_compose c;
		sv_compose_init(&c, &fixed, CAP);
		struct sv_compose_part *p = sv_compose_message_part(&c, orig.p, orig.len, false);
		if (round == 2) { /* a clean original goes whole, without the From line */
			sv_compose_free(&c);
			sv_compose_init(&c, &fixed, CAP);
			static const char clean[] = "From x\nSubject: ok\n\nbody\n";
			p = sv_compose_message_part(&c, clean, sizeof clean - 1, false);
		}
		ck_assert_ptr_nonnull(p);
		sv_compose_set_body(&c, p);
		struct sv_buf out = SV_BUF_INIT;
		finish(&c, &out);
		check_lines(out.p, out.len, SV_COMPOSE_LINE);
		struct sv_msg *m = sv_msg_new(out.p, out.len);
		struct sv_mime_part *mp = sv_msg_mime(m);
		const char *want = round == 2 ? "message/rfc822" : "text/rfc822-headers";
		ck_assert_msg(strcmp(mp->ctype, want) == 0, "round %d: %s\n%s", round, mp->ctype,
			      out.p);
		ck_assert(mp->blen > 0 && strncmp(mp->body, "Subject: ", 9) == 0);
		ck_assert_ptr_null(memmem(mp->body, mp->blen, "From ", 5));
		sv_msg_free(m);
		sv_buf_free(&out);
		sv_compose_free(&c);
	}
	sv_buf_free(&orig);
}
END_TEST

START_TEST(test_tree_misuse)
{
	struct sv_compose c;
	sv_compose_init(&c, &fixed, CAP);
	struct sv_compose_part *a = sv_compose_multipart(&c, "mixed", NULL);
	struct sv_compose_part *b = sv_compose_multipart(&c, "mixed", NULL);
	ck_assert_int_eq(sv_compose_add(&c, a, b), SV_OK);
	ck_assert_int_eq(sv_compose_add(&c, b, a), SV_FAIL); /* a cycle */
	sv_compose_free(&c);

	sv_compose_init(&c, &fixed, CAP);
	a = sv_compose_multipart(&c, "mixed", NULL);
	b = sv_compose_multipart(&c, "mixed", NULL);
	struct sv_compose_part *t = sv_compose_text_part(&c, "x", 1);
	ck_assert_int_eq(sv_compose_add(&c, a, t), SV_OK);
	ck_assert_int_eq(sv_compose_add(&c, b, t), SV_FAIL); /* used twice */
	sv_compose_free(&c);

	sv_compose_init(&c, &fixed, CAP);
	t = sv_compose_text_part(&c, "x", 1);
	ck_assert_int_eq(sv_compose_add(&c, t, t), SV_FAIL); /* not a multipart */
	sv_compose_free(&c);

	sv_compose_init(&c, &fixed, CAP);
	a = sv_compose_multipart(&c, "mixed", NULL);
	sv_compose_set_body(&c, a);
	struct sv_buf out = SV_BUF_INIT;
	ck_assert_int_eq(sv_compose_finish(&c, &out), SV_FAIL); /* no parts */
	sv_compose_free(&c);

	sv_compose_init(&c, &fixed, CAP);
	ck_assert_ptr_null(sv_compose_multipart(&c, "mixed; boundary=x", NULL));
	sv_compose_free(&c);
	sv_compose_init(&c, &fixed, CAP);
	ck_assert_ptr_null(sv_compose_leaf_part(&c, "multipart/mixed", "", 0));
	sv_compose_free(&c);
	sv_compose_init(&c, &fixed, CAP);
	ck_assert_ptr_null(sv_compose_leaf_part(&c, "text/plain\nBcc: x", "", 0));
	sv_compose_free(&c);
	sv_buf_free(&out);
}
END_TEST

/* ---- limits ----------------------------------------------------------------- */

START_TEST(test_limits)
{
	struct sv_compose c;
	struct sv_buf out = SV_BUF_INIT;
	sv_buf_puts(&out, "kept");
	/* the cap: an error, and out untouched */
	sv_compose_init(&c, &fixed, 100);
	sv_compose_header(&c, "Subject", "short", 5);
	struct sv_buf big = SV_BUF_INIT;
	for (int i = 0; i < 200; i++)
		sv_buf_puts(&big, "word ");
	ck_assert_ptr_null(sv_compose_text_part(&c, big.p, big.len));
	ck_assert_int_eq(sv_compose_finish(&c, &out), SV_LIMIT);
	ck_assert_str_eq(out.p, "kept");
	sv_compose_free(&c);

	/* just under the cap works, one byte less fails at finish */
	sv_compose_init(&c, &fixed, CAP);
	sv_compose_body_text(&c, "abc\n", 4);
	struct sv_buf full = SV_BUF_INIT;
	finish(&c, &full);
	sv_compose_free(&c);
	sv_compose_init(&c, &fixed, full.len);
	sv_compose_body_text(&c, "abc\n", 4);
	sv_buf_reset(&out);
	ck_assert_int_eq(sv_compose_finish(&c, &out), SV_OK);
	sv_compose_free(&c);
	sv_compose_init(&c, &fixed, full.len - 1);
	sv_compose_body_text(&c, "abc\n", 4);
	sv_buf_reset(&out);
	ck_assert_int_eq(sv_compose_finish(&c, &out), SV_LIMIT);
	ck_assert_uint_eq(out.len, 0);
	sv_compose_free(&c);

	/* a field value over its bound */
	char *huge = sv_malloc(SV_COMPOSE_MAX_FIELD + 1);
	memset(huge, 'a', SV_COMPOSE_MAX_FIELD + 1);
	sv_compose_init(&c, &fixed, CAP);
	ck_assert_int_eq(sv_compose_header(&c, "Subject", huge, SV_COMPOSE_MAX_FIELD + 1),
			 SV_LIMIT);
	sv_compose_free(&c);
	sv_free(huge);

	/* parts */
	sv_compose_init(&c, &fixed, CAP);
	struct sv_compose_part *mix = sv_compose_multipart(&c, "mixed", NULL);
	for (int i = 0; i < SV_COMPOSE_MAX_PARTS + 5; i++)
		sv_compose_add(&c, mix, sv_compose_text_part(&c, "x", 1));
	ck_assert_int_eq(c.err, SV_LIMIT);
	sv_compose_free(&c);
	sv_compose_free(&c); /* twice is harmless */
	sv_buf_free(&big);
	sv_buf_free(&full);
	sv_buf_free(&out);
}
END_TEST

/* ---- reject MDNs (RFC 5429 §2.1, RFC 8098) ----------------------------------- */

static const char rejected[] = "Return-Path: <s@example.com>\r\n"
			       "From: Sender <s@example.com>\r\n"
			       "To: u@example.org\r\n"
			       "Subject: Buy now\r\n"
			       "Message-ID: <spam1@example.com>\r\n"
			       "\r\n"
			       "Cheap \xe2\x82\xac offers\r\n";

static struct sv_compose_mdn mdn_args(struct sv_msg *m)
{
	struct sv_compose_mdn d = {
		.orig = m,
		.reason = "Ich m\xc3\xb6"
			  "chte das nicht.\nNo thanks.",
		.reporting_ua = "mx.example.org; sift",
		.final_recipient = "u@example.org",
		.original_recipient = "user@example.org",
		.from = "u@example.org",
		.to = "s@example.com",
		.domain = "mx.example.org",
	};
	d.reason_len = strlen(d.reason);
	return d;
}

START_TEST(test_mdn)
{
	struct sv_msg *orig = sv_msg_new(rejected, sizeof rejected - 1);
	struct sv_compose_mdn d = mdn_args(orig);
	struct sv_buf out = SV_BUF_INIT;
	ck_assert_int_eq(sv_compose_mdn(&d, &fixed, CAP, &out), SV_OK);
	check_lines(out.p, out.len, SV_COMPOSE_LINE);
	struct sv_msg *m = sv_msg_new(out.p, out.len);

	/* the message's fields */
	struct sv_hdr *h = sv_msg_header(m, "Auto-Submitted", 14);
	ck_assert_str_eq(h->value, "auto-replied (rejected)");
	ck_assert_str_eq(sv_msg_header(m, "In-Reply-To", 11)->value, "<spam1@example.com>");
	ck_assert_str_eq(sv_msg_header(m, "References", 10)->value, "<spam1@example.com>");
	ck_assert_str_eq(sv_msg_header(m, "To", 2)->value, "s@example.com");
	ck_assert_str_eq(sv_msg_header(m, "From", 4)->value, "u@example.org");
	ck_assert_str_eq(sv_msg_header(m, "Subject", 7)->value, "Rejected: Buy now");
	ck_assert_str_eq(sv_msg_header(m, "Date", 4)->value, "Tue, 5 Mar 2024 09:07:00 +0100");
	ck_assert_ptr_nonnull(sv_msg_header(m, "Message-ID", 10));

	/* RFC 6522 §3: multipart/report with the report type */
	struct sv_mime_part *p = sv_msg_mime(m);
	ck_assert_str_eq(p->ctype, "multipart/report");
	struct sv_hdr *ct = sv_msg_header(m, "Content-Type", 12);
	ck_assert_ptr_nonnull(strstr(ct->value, "report-type=disposition-notification"));

	/* the human part: the reason */
	struct sv_mime_part *k = p->children;
	ck_assert_str_eq(k->ctype, "text/plain");
	size_t tl;
	const char *t = sv_msg_part_text(m, k, &tl);
	ck_assert_str_eq(t, "Ich m\xc3\xb6"
			    "chte das nicht.\nNo thanks.\n");

	/* RFC 8098 §3.1 fields, RFC 5429 §2.1 disposition */
	k = k->next;
	ck_assert_str_eq(k->ctype, "message/disposition-notification");
	static const char dn[] = "Reporting-UA: mx.example.org; sift\n"
				 "Original-Recipient: rfc822; user@example.org\n"
				 "Final-Recipient: rfc822; u@example.org\n"
				 "Original-Message-ID: <spam1@example.com>\n"
				 "Disposition: automatic-action/MDN-sent-automatically; deleted\n";
	ck_assert_uint_eq(k->blen, sizeof dn - 1);
	ck_assert(memcmp(k->body, dn, sizeof dn - 1) == 0);

	/* the original, whole: 8-bit, so declared 8bit up to the top
	   (RFC 2045 §6.4) */
	k = k->next;
	ck_assert_str_eq(k->ctype, "message/rfc822");
	ck_assert_str_eq(k->encoding, "8bit");
	ck_assert_str_eq(p->encoding, "8bit");
	ck_assert(k->is_message);
	ck_assert_ptr_null(k->next);
	ck_assert_ptr_nonnull(memmem(k->body, k->blen, "Subject: Buy now\n", 17));
	ck_assert_ptr_nonnull(memmem(k->body, k->blen, "Cheap \xe2\x82\xac offers\n", 17));
	sv_msg_free(m);
	sv_buf_free(&out);
	sv_msg_free(orig);
}
END_TEST

START_TEST(test_mdn_headers_only)
{
	struct sv_msg *orig = sv_msg_new(rejected, sizeof rejected - 1);
	struct sv_compose_mdn d = mdn_args(orig);
	struct sv_buf full = SV_BUF_INIT, out = SV_BUF_INIT;
	ck_assert_int_eq(sv_compose_mdn(&d, &fixed, CAP, &full), SV_OK);

	/* asked for */
	d.headers_only = true;
	ck_assert_int_eq(sv_compose_mdn(&d, &fixed, CAP, &out), SV_OK);
	struct sv_msg *m = sv_msg_new(out.p, out.len);
	struct sv_mime_part *k = sv_msg_mime(m)->children->next->next;
	ck_assert_str_eq(k->ctype, "text/rfc822-headers");
	ck_assert_ptr_nonnull(memmem(k->body, k->blen, "Message-ID: <spam1@example.com>\n", 32));
	ck_assert_ptr_null(memmem(k->body, k->blen, "Cheap", 5));
	ck_assert_str_eq(sv_msg_mime(m)->encoding, "7bit");
	sv_msg_free(m);

	/* the whole original does not fit the cap: its headers do */
	d.headers_only = false;
	sv_buf_reset(&out);
	ck_assert_int_eq(sv_compose_mdn(&d, &fixed, full.len - 1, &out), SV_OK);
	ck_assert_ptr_nonnull(strstr(out.p, "Content-Type: text/rfc822-headers\n"));
	ck_assert_uint_le(out.len, full.len - 1);

	/* nothing fits */
	sv_buf_reset(&out);
	ck_assert_int_eq(sv_compose_mdn(&d, &fixed, 300, &out), SV_LIMIT);
	ck_assert_uint_eq(out.len, 0);

	/* bad arguments */
	struct sv_compose_mdn bad = mdn_args(orig);
	bad.final_recipient = "not an address";
	ck_assert_int_eq(sv_compose_mdn(&bad, &fixed, CAP, &out), SV_FAIL);
	bad = mdn_args(orig);
	bad.reporting_ua = "host\r\nBcc: x@y";
	ck_assert_int_eq(sv_compose_mdn(&bad, &fixed, CAP, &out), SV_FAIL);
	bad = mdn_args(orig);
	bad.to = "s@example.com\nBcc: x@y";
	ck_assert_int_eq(sv_compose_mdn(&bad, &fixed, CAP, &out), SV_FAIL);
	ck_assert_uint_eq(out.len, 0);
	sv_buf_free(&out);
	sv_buf_free(&full);
	sv_msg_free(orig);
}
END_TEST

/* Python's email package reads the MDN with the same structure
 * (optional: skipped without python3). */
START_TEST(test_mdn_python)
{
	if (system("python3 -c 'import email' >/dev/null 2>&1") != 0)
		return;
	struct sv_msg *orig = sv_msg_new(rejected, sizeof rejected - 1);
	struct sv_compose_mdn d = mdn_args(orig);
	struct sv_buf out = SV_BUF_INIT;
	ck_assert_int_eq(sv_compose_mdn(&d, &fixed, CAP, &out), SV_OK);
	char path[] = "/tmp/check_compose_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, out.p, out.len), (ssize_t)out.len);
	close(fd);
	char cmd[512];
	snprintf(cmd, sizeof cmd,
		 "python3 -c 'import email,sys\n"
		 "m=email.message_from_binary_file(open(sys.argv[1],\"rb\"))\n"
		 "print(m.get_content_type(), m.get_param(\"report-type\"),"
		 " [p.get_content_type() for p in m.get_payload()],"
		 " m.get_payload()[0].get_payload(decode=True).decode(\"utf-8\").split(chr(10))[0],"
		 " m.get_payload()[2].get_payload()[0][\"Subject\"], m.defects)' %s",
		 path);
	FILE *f = popen(cmd, "r");
	char line[1024] = "";
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	pclose(f);
	unlink(path);
	ck_assert_str_eq(line, "multipart/report disposition-notification ['text/plain', "
			       "'message/disposition-notification', 'message/rfc822'] "
			       "Ich m\xc3\xb6"
			       "chte das nicht. Buy now []\n");
	sv_buf_free(&out);
	sv_msg_free(orig);
}
END_TEST

/* ---- the encoder alone ----------------------------------------------------- */

START_TEST(test_rfc2047_encode)
{
	/* random UTF-8 of 1..4-byte characters: words of at most 75,
	   whole characters each, the text decodes back */
	static const char *const ch[] = {"a", " ", "_", "=", "?", "\xc3\xa9", "\xe2\x82\xac",
					 "\xf0\x9f\x98\x80", "\xe6\x97\xa5"};
	unsigned seed = 7;
	struct sv_arena *a = sv_arena_new();
	for (int round = 0; round < 300; round++) {
		struct sv_buf in = SV_BUF_INIT, enc = SV_BUF_INIT;
		int k = 1 + (int)(rand_r(&seed) % 120);
		for (int j = 0; j < k; j++)
			sv_buf_puts(&in, ch[rand_r(&seed) % (sizeof ch / sizeof ch[0])]);
		sv_rfc2047_encode(&enc, in.p, in.len);
		check_ewords(enc.p, enc.len);
		size_t dl;
		const char *d = sv_rfc2047_decode(a, enc.p, enc.len, &dl);
		ck_assert_uint_eq(dl, in.len);
		ck_assert(memcmp(d, in.p, dl) == 0);
		sv_buf_free(&in);
		sv_buf_free(&enc);
	}
	sv_arena_free(a);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("compose");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_field_exact, 0,
			    (int)(sizeof field_cases / sizeof field_cases[0]));
	tcase_add_loop_test(tc, test_field_roundtrip, 0,
			    (int)(sizeof roundtrip_cases / sizeof roundtrip_cases[0]));
	tcase_add_test(tc, test_field_long_word);
	tcase_add_test(tc, test_field_names);
	tcase_add_test(tc, test_no_injection);
	tcase_add_loop_test(tc, test_address_exact, 0,
			    (int)(sizeof addr_cases / sizeof addr_cases[0]));
	tcase_add_test(tc, test_address_long_display);
	tcase_add_test(tc, test_address_invalid);
	tcase_add_loop_test(tc, test_date, 0, (int)(sizeof date_cases / sizeof date_cases[0]));
	tcase_add_test(tc, test_message_id);
	tcase_add_loop_test(tc, test_reply_refs, 0, (int)(sizeof ref_cases / sizeof ref_cases[0]));
	tcase_add_test(tc, test_reply_refs_bounded);
	tcase_add_loop_test(tc, test_reply_subject, 0,
			    (int)(sizeof subj_cases / sizeof subj_cases[0]));
	tcase_add_test(tc, test_vacation_exact);
	tcase_add_loop_test(tc, test_text_exact, 0, (int)(sizeof text_cases / sizeof text_cases[0]));
	tcase_add_test(tc, test_text_qp_roundtrip);
	tcase_add_test(tc, test_mime_entity);
	tcase_add_test(tc, test_multipart);
	tcase_add_test(tc, test_message_part_fallback);
	tcase_add_test(tc, test_tree_misuse);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_mdn);
	tcase_add_test(tc, test_mdn_headers_only);
	tcase_add_test(tc, test_mdn_python);
	tcase_add_test(tc, test_rfc2047_encode);
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
