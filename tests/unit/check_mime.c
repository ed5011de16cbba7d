/*
 * check_mime.c: the MIME tree. RFC 2045 §5 (Content-Type, §5.2 defaults),
 * §6.7 quoted-printable, §6.8 base64; RFC 2046 §5.1.1 boundaries, §5.1.5
 * digest, §5.2.1 message/rfc822; RFC 2183 Content-Disposition; RFC 2231.
 */
#include <check.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/utf8.h"
#include "mail/message.h"

static struct sv_msg *msg(const char *s)
{
	return sv_msg_new(s, strlen(s));
}

static size_t nchildren(const struct sv_mime_part *p)
{
	size_t n = 0;
	for (const struct sv_mime_part *c = p->children; c; c = c->next)
		n++;
	return n;
}

static struct sv_mime_part *child(struct sv_mime_part *p, size_t i)
{
	struct sv_mime_part *c = p->children;
	while (c && i--)
		c = c->next;
	ck_assert_ptr_nonnull(c);
	return c;
}

static void assert_text(struct sv_msg *m, struct sv_mime_part *p, const char *want)
{
	size_t n;
	const char *t = sv_msg_part_text(m, p, &n);
	ck_assert_msg(n == strlen(want) && memcmp(t, want, n) == 0, "got [%.*s] want [%s]", (int)n,
		      t, want);
}

/* RFC 2045 §5.2: no Content-Type means text/plain; charset=us-ascii */
START_TEST(test_default)
{
	struct sv_msg *m = msg("Subject: x\n\nhello\n");
	struct sv_mime_part *p = sv_msg_mime(m);
	ck_assert_str_eq(p->ctype, "text/plain");
	ck_assert_str_eq(p->type, "text");
	ck_assert_str_eq(p->subtype, "plain");
	ck_assert_str_eq(p->charset, "us-ascii");
	ck_assert_str_eq(p->encoding, "7bit");
	ck_assert_ptr_null(p->disposition);
	ck_assert(!p->multipart && !p->is_message);
	ck_assert_ptr_null(p->children);
	ck_assert_uint_eq(p->depth, 0);
	assert_text(m, p, "hello\n");
	ck_assert_ptr_eq(sv_msg_mime(m), p);
	ck_assert_uint_eq(p->nhdrs, 1);
	sv_msg_free(m);
}
END_TEST

/* RFC 2045 §5.1: case-insensitive type, parameters, comments */
static const struct {
	const char *ct, *ctype, *charset;
} ct_cases[] = {
	{"TEXT/HTML; CHARSET=\"UTF-8\"", "text/html", "utf-8"},
	{"text/plain (comment) ; charset = iso-8859-1 (c)", "text/plain", "iso-8859-1"},
	{"text / plain;charset=windows-1252", "text/plain", "windows-1252"},
	{"application/octet-stream", "application/octet-stream", NULL},
	{"text/plain", "text/plain", "us-ascii"},
	{"garbage", "text/plain", "us-ascii"},   /* §5.2: invalid means default */
	{"text/", "text/plain", "us-ascii"},
	{"text/html/x", "text/plain", "us-ascii"}, /* §5.1: no second slash */
	{"text/html x; charset=utf-8", "text/plain", "us-ascii"},
	{"text/html (c); charset=utf-8", "text/html", "utf-8"},
	{"", "text/plain", "us-ascii"},
	{"text/plain; charset*=us-ascii'en'utf-8", "text/plain", "utf-8"}, /* RFC 2231 §4 */
};

START_TEST(test_content_type)
{
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_printf(&b, "Content-Type: %s\n\nbody", ct_cases[_i].ct);
	struct sv_msg *m = sv_msg_new(b.p, b.len);
	struct sv_mime_part *p = sv_msg_mime(m);
	ck_assert_str_eq(p->ctype, ct_cases[_i].ctype);
	if (ct_cases[_i].charset)
		ck_assert_str_eq(p->charset, ct_cases[_i].charset);
	else
		ck_assert_ptr_null(p->charset);
	sv_msg_free(m);
	sv_buf_free(&b);
}
END_TEST

/* RFC 2046 §5.1.4 alternative, §5.1.1 preamble and epilogue ignored */
/* HTML as a reader sees it (for body :text, RFC 5173 §5.3) */
static const struct {
	const char *in, *want;
} html_cases[] = {
	{"<p>a &amp; b</p>", "a & b"},
	{"&lt;&gt;&quot;&apos;", "<>\"'"},
	{"&#65;&#x42;&#X43;", "ABC"},
	{"&eacute;t&eacute; &yuml; &nbsp;x", "\xc3\xa9t\xc3\xa9 \xc3\xbf x"},
	{"&euro;&hellip;", "\xe2\x82\xac\xe2\x80\xa6"},
	{"&#0; &#xD800; &#1114112;", "\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd"},
	{"&unknown; &amp &#x; a&b", "&unknown; &amp &#x; a&b"},
	{"<a href=\"x>y\" title='q'>link</a> text", "link text"},
	{"one<br>two<BR/>three", "one\ntwo\nthree"},
	{"  many \r\n\t spaces  ", "many spaces"},
	{"a<!-- <p>hidden</p> -->b", "ab"},
	{"<!DOCTYPE html><html><head><title>T</title><style>p{}</style>"
	 "<script>x<y</script></head><body><p>Body</p></body></html>", "T\nBody"},
	{"<SCRIPT type=x>never</SCRIPT>shown", "shown"},
	{"<script>unclosed", ""},
	{"a < b and c <", "a < b and c <"},
	{"text<p unclosed", "text"},
	{"caf\xc3\xa9 <b>bold</b>", "caf\xc3\xa9 bold"},
};

START_TEST(test_html_text)
{
	struct sv_buf b = SV_BUF_INIT;
	sv_mail_html_text(&b, html_cases[_i].in, strlen(html_cases[_i].in));
	ck_assert_msg(b.len == strlen(html_cases[_i].want) &&
			      memcmp(b.p, html_cases[_i].want, b.len) == 0,
		      "[%s] gave [%.*s]", html_cases[_i].in, (int)b.len, b.p);
	sv_buf_free(&b);
}
END_TEST

START_TEST(test_alternative)
{
	struct sv_msg *m = msg("Content-Type: multipart/alternative; boundary=\"b1\"\r\n"
			       "\r\n"
			       "preamble\r\n"
			       "--b1\r\n"
			       "Content-Type: text/plain; charset=utf-8\r\n"
			       "\r\n"
			       "plain caf\xc3\xa9\r\n"
			       "--b1  \r\n"
			       "Content-Type: text/html\r\n"
			       "\r\n"
			       "<p>html</p>\r\n"
			       "\r\n"
			       "--b1--\r\n"
			       "epilogue\r\n");
	struct sv_mime_part *p = sv_msg_mime(m);
	ck_assert(p->multipart);
	ck_assert_str_eq(p->ctype, "multipart/alternative");
	ck_assert_str_eq(p->boundary, "b1");
	ck_assert_uint_eq(nchildren(p), 2);
	struct sv_mime_part *c0 = child(p, 0), *c1 = child(p, 1);
	/* the multipart's own text: preamble and epilogue, without the
	   line breaks that belong to the delimiters */
	size_t olen;
	const char *o = sv_msg_part_outside(m, p, &olen);
	ck_assert_uint_eq(olen, strlen("preamble\nepilogue\r\n"));
	ck_assert(memcmp(o, "preamble\nepilogue\r\n", olen) == 0);
	ck_assert_uint_eq(sv_msg_part_outside(m, c0, &olen)[0], 0);
	ck_assert_str_eq(c0->ctype, "text/plain");
	ck_assert_str_eq(c0->charset, "utf-8");
	assert_text(m, c0, "plain caf\xc3\xa9");
	ck_assert_str_eq(c1->ctype, "text/html");
	ck_assert_str_eq(c1->charset, "us-ascii");
	assert_text(m, c1, "<p>html</p>\r\n");
	ck_assert_ptr_eq(c0->parent, p);
	ck_assert_uint_eq(c0->depth, 1);
	ck_assert_uint_eq(c0->nhdrs, 1);
	ck_assert_uint_eq(c0->hlen, strlen("Content-Type: text/plain; charset=utf-8\r\n\r\n"));
	sv_msg_free(m);
}
END_TEST

/* RFC 2046 §5.1.3 mixed, RFC 2045 §6.8 base64, RFC 2183 filename */
START_TEST(test_mixed_base64)
{
	struct sv_msg *m = msg("Content-Type: multipart/mixed; boundary=XyZ\n"
			       "\n"
			       "--XyZ\n"
			       "\n"
			       "see attachment\n"
			       "--XyZ\n"
			       "Content-Type: application/octet-stream; name=\"ignored.bin\"\n"
			       "Content-Transfer-Encoding: BASE64\n"
			       "Content-Disposition: Attachment; filename=\"data.bin\"\n"
			       "\n"
			       "aGVsbG8g\n"
			       "d29y!!bGQ=\n"
			       "--XyZ--\n");
	struct sv_mime_part *p = sv_msg_mime(m);
	ck_assert_uint_eq(nchildren(p), 2);
	struct sv_mime_part *c0 = child(p, 0), *c1 = child(p, 1);
	ck_assert_str_eq(c0->ctype, "text/plain");
	ck_assert_uint_eq(c0->nhdrs, 0);
	assert_text(m, c0, "see attachment");
	ck_assert_str_eq(c1->ctype, "application/octet-stream");
	ck_assert_str_eq(c1->encoding, "base64");
	ck_assert_str_eq(c1->disposition, "attachment");
	ck_assert_str_eq(c1->filename, "data.bin");
	size_t n;
	const char *d = sv_msg_part_decoded(m, c1, &n);
	ck_assert_uint_eq(n, 11);
	ck_assert(memcmp(d, "hello world", 11) == 0);
	ck_assert_ptr_eq(sv_msg_part_decoded(m, c1, NULL), d);
	/* not text: part_text is the decoded bytes */
	ck_assert_ptr_eq(sv_msg_part_text(m, c1, NULL), d);
	sv_msg_free(m);
}
END_TEST

/* nested multiparts; a boundary that is a prefix of the inner one */
START_TEST(test_nested)
{
	struct sv_msg *m = msg("Content-Type: multipart/mixed; boundary=abc\n"
			       "\n"
			       "--abc\n"
			       "Content-Type: multipart/alternative; boundary=abcdef\n"
			       "\n"
			       "--abcdef\n"
			       "Content-Type: text/plain\n"
			       "\n"
			       "inner plain\n"
			       "--abcdef\n"
			       "Content-Type: multipart/related; boundary=\"x y\"\n"
			       "\n"
			       "--x y\n"
			       "Content-Type: text/html\n"
			       "\n"
			       "deep\n"
			       "--x y--\n"
			       "--abcdef--\n"
			       "--abc\n"
			       "Content-Type: image/png\n"
			       "\n"
			       "PNG\n"
			       "--abc--\n");
	struct sv_mime_part *p = sv_msg_mime(m);
	ck_assert_uint_eq(nchildren(p), 2);
	struct sv_mime_part *alt = child(p, 0);
	ck_assert_str_eq(alt->ctype, "multipart/alternative");
	ck_assert_uint_eq(nchildren(alt), 2);
	assert_text(m, child(alt, 0), "inner plain");
	struct sv_mime_part *rel = child(alt, 1);
	ck_assert_str_eq(rel->boundary, "x y");
	ck_assert_uint_eq(nchildren(rel), 1);
	ck_assert_str_eq(child(rel, 0)->ctype, "text/html");
	ck_assert_uint_eq(child(rel, 0)->depth, 3);
	assert_text(m, child(rel, 0), "deep");
	ck_assert_str_eq(child(p, 1)->ctype, "image/png");
	sv_msg_free(m);
}
END_TEST

/* RFC 2046 §5.2.1: message/rfc822 parsed as a child message */
START_TEST(test_rfc822)
{
	struct sv_msg *m = msg("Content-Type: multipart/mixed; boundary=B\n"
			       "\n"
			       "--B\n"
			       "Content-Type: message/rfc822\n"
			       "\n"
			       "Subject: inner\n"
			       "From: x@y\n"
			       "Content-Type: multipart/alternative; boundary=C\n"
			       "\n"
			       "--C\n"
			       "\n"
			       "inner text\n"
			       "--C--\n"
			       "--B--\n");
	struct sv_mime_part *p = sv_msg_mime(m);
	struct sv_mime_part *mp = child(p, 0);
	ck_assert_str_eq(mp->ctype, "message/rfc822");
	ck_assert(mp->is_message);
	ck_assert_uint_eq(nchildren(mp), 1);
	struct sv_mime_part *inner = child(mp, 0);
	ck_assert_uint_eq(inner->nhdrs, 3);
	ck_assert(memcmp(inner->hdrs[0].name, "Subject", 7) == 0);
	ck_assert_str_eq(inner->hdrs[0].value, "inner");
	ck_assert_str_eq(inner->ctype, "multipart/alternative");
	ck_assert_uint_eq(nchildren(inner), 1);
	assert_text(m, child(inner, 0), "inner text");
	sv_msg_free(m);
}
END_TEST

/* RFC 2046 §5.1.5: in a digest, the default is message/rfc822 */
START_TEST(test_digest)
{
	struct sv_msg *m = msg("Content-Type: multipart/digest; boundary=D\n"
			       "\n"
			       "--D\n"
			       "\n"
			       "Subject: one\n"
			       "\n"
			       "body one\n"
			       "--D\n"
			       "Content-Type: text/plain\n"
			       "\n"
			       "not a message\n"
			       "--D--\n");
	struct sv_mime_part *p = sv_msg_mime(m);
	ck_assert_uint_eq(nchildren(p), 2);
	struct sv_mime_part *c0 = child(p, 0);
	ck_assert_str_eq(c0->ctype, "message/rfc822");
	ck_assert(c0->is_message);
	ck_assert_str_eq(child(c0, 0)->hdrs[0].value, "one");
	assert_text(m, child(c0, 0), "body one");
	ck_assert_str_eq(child(p, 1)->ctype, "text/plain");
	sv_msg_free(m);
}
END_TEST

/* RFC 2046 §5.1.1: a missing close delimiter is tolerated */
START_TEST(test_missing_end)
{
	struct sv_msg *m = msg("Content-Type: multipart/mixed; boundary=E\n\n"
			       "--E\n\nfirst\n--E\n\nsecond, unterminated\n");
	struct sv_mime_part *p = sv_msg_mime(m);
	ck_assert_uint_eq(nchildren(p), 2);
	assert_text(m, child(p, 0), "first");
	assert_text(m, child(p, 1), "second, unterminated\n");
	sv_msg_free(m);

	/* no boundary parameter: a leaf */
	m = msg("Content-Type: multipart/mixed\n\n--E\n\nx\n");
	p = sv_msg_mime(m);
	ck_assert(!p->multipart);
	ck_assert_ptr_null(p->children);
	sv_msg_free(m);

	/* no delimiter at all: no parts */
	m = msg("Content-Type: multipart/mixed; boundary=E\n\njust text\n");
	p = sv_msg_mime(m);
	ck_assert(p->multipart);
	ck_assert_uint_eq(nchildren(p), 0);
	sv_msg_free(m);
}
END_TEST

/* RFC 2045 §6.7 quoted-printable; then charset conversion */
static const struct {
	const char *cs, *body, *want;
} qp_cases[] = {
	{"utf-8", "soft=\nbreak", "softbreak"},
	{"utf-8", "soft=\r\nbreak", "softbreak"},
	{"utf-8", "soft=  \r\nbreak", "softbreak"},         /* padding after = */
	{"utf-8", "trailing   \nspace", "trailing\nspace"},  /* rule 3 */
	{"utf-8", "caf=C3=A9", "caf\xc3\xa9"},
	{"utf-8", "caf=c3=a9", "caf\xc3\xa9"},
	{"utf-8", "bad=ZZ and =", "bad=ZZ and "},            /* tolerated */
	{"utf-8", "a=FFb", "a\xef\xbf\xbd" "b"},              /* RFC 3629: U+FFFD */
	{"iso-8859-1", "caf=E9", "caf\xc3\xa9"},
	{"windows-1252", "=80 =93x=94", "\xe2\x82\xac \xe2\x80\x9cx\xe2\x80\x9d"},
	{"koi8-r", "=F0=D2", "\xd0\x9f\xd1\x80"},
	{"x-unknown", "raw=E9", "raw\xe9"},                  /* unknown: bytes kept */
	{"us-ascii", "=E9", "\xef\xbf\xbd"},
};

START_TEST(test_qp_charset)
{
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_printf(&b,
		      "Content-Type: text/plain; charset=%s\n"
		      "Content-Transfer-Encoding: quoted-printable\n\n%s",
		      qp_cases[_i].cs, qp_cases[_i].body);
	struct sv_msg *m = sv_msg_new(b.p, b.len);
	struct sv_mime_part *p = sv_msg_mime(m);
	assert_text(m, p, qp_cases[_i].want);
	sv_msg_free(m);
	sv_buf_free(&b);
}
END_TEST

/* RFC 2231 §3, §4: filename continuations and charset; RFC 2047 in names */
static const struct {
	const char *cd, *want;
} fn_cases[] = {
	{"attachment; filename=plain.txt", "plain.txt"},
	{"attachment; filename=\"quoted name.txt\"", "quoted name.txt"},
	{"attachment; filename*=UTF-8''caf%C3%A9.txt", "caf\xc3\xa9.txt"},
	{"attachment; filename*=iso-8859-1'fr'caf%E9.txt", "caf\xc3\xa9.txt"},
	{"attachment; filename*0=\"long\"; filename*1=\"name.txt\"", "longname.txt"},
	{"attachment; filename*1=\"b\"; filename*0=\"a\"", "ab"},
	{"attachment; filename*0*=utf-8''%C3%A9; filename*1=\"-x\"", "\xc3\xa9-x"},
	{"attachment; filename*0=a; filename*2=c", "a"},          /* stops at a gap */
	{"attachment; filename=\"=?utf-8?q?J=C3=B6rg?=.pdf\"", "J\xc3\xb6rg.pdf"},
	{"attachment; filename=\"old\"; filename*=utf-8''new", "new"},
	{"inline", NULL},
};

START_TEST(test_filename)
{
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_printf(&b, "Content-Disposition: %s\n\nx", fn_cases[_i].cd);
	struct sv_msg *m = sv_msg_new(b.p, b.len);
	struct sv_mime_part *p = sv_msg_mime(m);
	if (fn_cases[_i].want)
		ck_assert_str_eq(p->filename, fn_cases[_i].want);
	else
		ck_assert_ptr_null(p->filename);
	ck_assert_ptr_nonnull(p->disposition);
	sv_msg_free(m);
	sv_buf_free(&b);
}
END_TEST

/* The text of part p contains want (the undivided parts are searched). */
static void assert_text_has(struct sv_msg *m, struct sv_mime_part *p, const char *want)
{
	size_t n;
	const char *t = sv_msg_part_text(m, p, &n);
	ck_assert_msg(memmem(t, n, want, strlen(want)) != NULL, "[%s] not in [%.*s]", want,
		      (int)(n > 200 ? 200 : n), t);
}

/* hostile: deep nesting is capped at max-mime-depth, and what is below
 * stays reachable as one undivided part (mime.c header) */
START_TEST(test_deep)
{
	struct sv_buf b = SV_BUF_INIT;
	int depth = 1000;
	for (int i = 0; i < depth; i++)
		sv_buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
	sv_buf_puts(&b, "\nleaf evil\n");
	struct sv_msg *m = sv_msg_new(b.p, b.len);
	struct sv_mime_part *p = sv_msg_mime(m);
	while (p->children)
		p = p->children;
	ck_assert_uint_eq(p->depth, 50); /* SV_DEFAULT_MAX_MIME_DEPTH */
	ck_assert(p->undivided);
	ck_assert(!p->multipart);
	ck_assert_str_eq(p->ctype, "multipart/mixed"); /* its own header */
	assert_text_has(m, p, "leaf evil");
	assert_text_has(m, p, "--b999");
	sv_msg_free(m);

	/* message/rfc822 inside message/rfc822 ... */
	sv_buf_reset(&b);
	for (int i = 0; i < depth; i++)
		sv_buf_puts(&b, "Content-Type: message/rfc822\n\n");
	sv_buf_puts(&b, "Content-Type: text/plain\n\nevil\n");
	m = sv_msg_new(b.p, b.len);
	p = sv_msg_mime(m);
	while (p->children)
		p = p->children;
	ck_assert_uint_eq(p->depth, 50);
	ck_assert(p->undivided && !p->is_message);
	assert_text_has(m, p, "evil");
	sv_msg_free(m);

	/* a settable bound; an undivided part's own transfer encoding is
	   undone ("Content-Type: text/plain\n\nevil\n" in base64) */
	m = msg("Content-Type: message/rfc822\n\n"
		"Content-Type: message/rfc822\n"
		"Content-Transfer-Encoding: base64\n\n"
		"Q29udGVudC1UeXBlOiB0ZXh0L3BsYWluCgpldmlsCg==\n");
	sv_msg_set_mime_limits(m, 100, 1);
	p = sv_msg_mime(m);
	ck_assert(p->is_message);
	p = p->children;
	ck_assert_uint_eq(p->depth, 1);
	ck_assert(p->undivided && !p->children);
	assert_text_has(m, p, "\n\nevil\n");
	sv_msg_free(m);
	sv_buf_free(&b);
}
END_TEST

/* hostile: past max-mime-parts the rest is one undivided part */
START_TEST(test_many_parts)
{
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_puts(&b, "Content-Type: multipart/mixed; boundary=M\n\n");
	for (int i = 0; i < 30000; i++)
		sv_buf_puts(&b, "--M\n\nx\n");
	sv_buf_puts(&b, "--M\nContent-Type: image/png\n\nevil\n"
			"--M\nContent-Transfer-Encoding: base64\n\naGlkZGVu\n" /* "hidden" */
			"--M\nContent-Transfer-Encoding: quoted-printable\n\nq=70\n"
			"--M--\nepilogue\n"
			"--M\nContent-Transfer-Encoding: base64\n\nZXBpbG9ndWU=\n");
	struct sv_msg *m = sv_msg_new(b.p, b.len);
	struct sv_mime_part *p = sv_msg_mime(m);
	ck_assert_uint_eq(nchildren(p), 10000); /* the root is the 10,000th */
	struct sv_mime_part *rest = child(p, 9999);
	ck_assert(rest->undivided && !rest->next);
	ck_assert_str_eq(rest->ctype, "text/plain");
	ck_assert_ptr_null(rest->charset);
	ck_assert_uint_eq(rest->nhdrs, 0);
	ck_assert(rest->rest);
	/* as it stands, then its encoded parts decoded (not the epilogue's) */
	size_t n;
	const char *t = sv_msg_part_text(m, rest, &n);
	size_t raw = (size_t)(p->body + p->blen - rest->body);
	ck_assert_uint_eq(n, raw + strlen("\nhidden\nqp\n"));
	ck_assert(memcmp(t, rest->body, raw) == 0);
	ck_assert(memcmp(t + raw, "\nhidden\nqp\n", n - raw) == 0);
	sv_msg_free(m);

	/* nothing encoded inside: the message's bytes, not a copy */
	m = msg("Content-Type: multipart/mixed; boundary=M\n\n--M\n\na\n--M\n\nevil\n--M--\n");
	sv_msg_set_mime_limits(m, 2, 50);
	p = sv_msg_mime(m);
	rest = child(p, 1);
	ck_assert(rest->undivided);
	t = sv_msg_part_text(m, rest, &n);
	ck_assert_ptr_eq(t, rest->body);
	ck_assert_ptr_eq(t + n, p->body + p->blen);
	sv_msg_free(m);
	sv_buf_free(&b);
}
END_TEST

/* The part limit inside a nested multipart: the inner rest, then the
 * outer rest, so nothing after the limit is lost at either level. */
START_TEST(test_parts_limit_nested)
{
	struct sv_msg *m = msg("Content-Type: multipart/mixed; boundary=o\n\n"
			       "--o\n"
			       "Content-Type: multipart/mixed; boundary=i\n\n"
			       "--i\n\ninner-one\n"
			       "--i\n\ninner-two\n"
			       "--i--\n"
			       "--o\n\nouter-two\n"
			       "--o--\n");
	sv_msg_set_mime_limits(m, 3, 50);
	struct sv_mime_part *p = sv_msg_mime(m);
	ck_assert_uint_eq(nchildren(p), 2);
	struct sv_mime_part *in = child(p, 0), *orest = child(p, 1);
	ck_assert(in->multipart);
	ck_assert_uint_eq(nchildren(in), 2);
	assert_text(m, child(in, 0), "inner-one");
	ck_assert(child(in, 1)->undivided);
	assert_text_has(m, child(in, 1), "inner-two");
	ck_assert(orest->undivided);
	assert_text_has(m, orest, "outer-two");

	/* other bounds: the tree is parsed again */
	sv_msg_set_mime_limits(m, 100, 50);
	p = sv_msg_mime(m);
	ck_assert_uint_eq(nchildren(child(p, 0)), 2);
	ck_assert(!child(child(p, 0), 1)->undivided);
	assert_text(m, child(p, 1), "outer-two");
	/* a multipart without a boundary cannot be split: undivided */
	sv_msg_free(m);
	m = msg("Content-Type: multipart/mixed\n\n--x\n\nevil\n");
	p = sv_msg_mime(m);
	ck_assert(p->undivided && !p->multipart);
	assert_text_has(m, p, "evil");
	sv_msg_free(m);
}
END_TEST

/* Memory: text needing no decoding is the message's bytes; a large
 * decoded text is handed to the caller, not kept; a small one is cached. */
START_TEST(test_text_use)
{
	struct sv_msg *m = msg("Content-Type: text/plain; charset=utf-8\n\ncaf\xc3\xa9\n");
	struct sv_mime_part *p = sv_msg_mime(m);
	size_t n;
	char *owned;
	const char *t = sv_msg_part_text_use(m, p, &n, &owned);
	ck_assert_ptr_null(owned);
	ck_assert_ptr_eq(t, p->body);
	sv_msg_free(m);

	/* 2 MiB of quoted-printable Latin-1: converted, too big to keep */
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_puts(&b, "Content-Type: multipart/mixed; boundary=B\n\n--B\n"
			"Content-Type: text/plain; charset=iso-8859-1\n"
			"Content-Transfer-Encoding: quoted-printable\n\n");
	for (int i = 0; i < 2 * 1024 * 1024 / 32; i++)
		sv_buf_puts(&b, "caf=E9 caf=E9 caf=E9 caf=E9 ab\n");
	sv_buf_puts(&b, "--B\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
			"c21hbGw=\n--B--\n");
	m = sv_msg_new(b.p, b.len);
	p = sv_msg_mime(m);
	struct sv_mime_part *big = child(p, 0), *small = child(p, 1);
	t = sv_msg_part_text_use(m, big, &n, &owned);
	ck_assert_ptr_nonnull(owned);
	ck_assert_ptr_eq(t, owned);
	ck_assert(!big->text_done);
	ck_assert(memcmp(t, "caf\xc3\xa9 caf", 9) == 0);
	ck_assert_uint_eq(n, 2 * 1024 * 1024 / 32 * 27 - 1); /* the last line break is the delimiter's */
	sv_free(owned);
	t = sv_msg_part_text_use(m, small, &n, &owned);
	ck_assert_ptr_null(owned);
	ck_assert(small->text_done);
	ck_assert(n == 5 && memcmp(t, "small", 5) == 0);
	ck_assert_ptr_eq(sv_msg_part_text_use(m, small, &n, &owned), t);
	sv_msg_free(m);
	sv_buf_free(&b);
}
END_TEST

static void walk(struct sv_msg *m, struct sv_mime_part *p, size_t *count)
{
	/* iterative walk: the tree is capped anyway */
	while (p) {
		(*count)++;
		size_t n;
		const char *t = sv_msg_part_text(m, p, &n);
		ck_assert_ptr_nonnull(t);
		ck_assert_ptr_nonnull(p->ctype);
		ck_assert_ptr_nonnull(p->encoding);
		if (p->children)
			walk(m, p->children, count);
		p = p->next;
	}
}

START_TEST(test_random)
{
	unsigned seed = 4242;
	static const char *const frags[] = {
		"Content-Type: multipart/mixed; boundary=a\n", "Content-Type: message/rfc822\n",
		"Content-Type: multipart/digest; boundary=\"a\"\n", "--a\n", "--a--\n", "\n",
		"Content-Transfer-Encoding: base64\n", "Content-Transfer-Encoding: quoted-printable\n",
		"Content-Type: text/plain; charset=shift_jis\n", "=\n", "=E9=\r\n", "\x82\xa0\xff",
		"Content-Disposition: attachment; filename*0*=x'y'%; filename*9999=z\n", "\r",
		"Content-Type: text/plain; charset*=''\n", "QUJD===\n", "(((\"\n",
	};
	for (int round = 0; round < 1500; round++) {
		struct sv_buf b = SV_BUF_INIT;
		int nf = rand_r(&seed) % 40;
		for (int i = 0; i < nf; i++)
			sv_buf_puts(&b, frags[rand_r(&seed) % (int)(sizeof frags / sizeof frags[0])]);
		sv_buf_puts(&b, "");
		struct sv_msg *m = sv_msg_new(b.p, b.len);
		size_t count = 0;
		walk(m, sv_msg_mime(m), &count);
		ck_assert_uint_ge(count, 1);
		sv_msg_free(m);
		sv_buf_free(&b);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_default);
	tcase_add_loop_test(tc, test_content_type, 0, (int)(sizeof ct_cases / sizeof ct_cases[0]));
	tcase_add_test(tc, test_alternative);
	tcase_add_loop_test(tc, test_html_text, 0, (int)(sizeof html_cases / sizeof html_cases[0]));
	tcase_add_test(tc, test_mixed_base64);
	tcase_add_test(tc, test_nested);
	tcase_add_test(tc, test_rfc822);
	tcase_add_test(tc, test_digest);
	tcase_add_test(tc, test_missing_end);
	tcase_add_loop_test(tc, test_qp_charset, 0, (int)(sizeof qp_cases / sizeof qp_cases[0]));
	tcase_add_loop_test(tc, test_filename, 0, (int)(sizeof fn_cases / sizeof fn_cases[0]));
	tcase_add_test(tc, test_deep);
	tcase_add_test(tc, test_many_parts);
	tcase_add_test(tc, test_parts_limit_nested);
	tcase_add_test(tc, test_text_use);
	tcase_add_test(tc, test_random);
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
