/*
 * check_unicode_casemap.c: unit tests of the "titlecased canonicalized
 * UTF-8" form of RFC 5051 §2 (src/lib/unicode-casemap.c and its generated
 * table), of the comparator i;unicode-casemap built on it, and of the
 * :matches key preparation that keeps wildcards (src/vm/match.c).
 *
 * Expected forms are written as code points so that each case says what
 * UnicodeData.txt gives: the titlecase mapping (field 14) first, then the
 * decomposition of any type (field 5), recursively.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ext/registry.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/diag.h"
#include "lib/limits.h"
#include "lib/unicode-casemap.h"
#include "lib/utf8.h"
#include "mail/message.h"
#include "parser/compile.h"
#include "vm/binary.h"
#include "vm/result.h"
#include "vm/vm.h"

/* UTF-8 of a list of code points ended by 0 */
static void cps(struct sv_buf *out, const uint32_t *cp)
{
	for (; *cp; cp++) {
		char u[4];
		size_t n = sv_utf8_encode(*cp, u);
		sv_buf_append(out, u, n);
	}
}

struct form_case {
	const char *name;
	uint32_t in[8];
	uint32_t want[20];
};

static const struct form_case form_cases[] = {
	{"ASCII lowercase becomes uppercase", {'a', 'z', 0}, {'A', 'Z', 0}},
	{"ASCII uppercase, digits, punctuation stay", {'A', '0', '*', '?', '\\', ' ', 0},
	 {'A', '0', '*', '?', '\\', ' ', 0}},
	/* U+00E4: titlecase U+00C4, which decomposes to A + U+0308 */
	{"a with diaeresis", {0xe4, 0}, {'A', 0x308, 0}},
	{"A with diaeresis", {0xc4, 0}, {'A', 0x308, 0}},
	/* decomposed input: the combining mark has no mapping */
	{"a + combining diaeresis", {'a', 0x308, 0}, {'A', 0x308, 0}},
	/* U+00DF has no titlecase mapping in UnicodeData.txt (its "Ss" is
	 * SpecialCasing.txt's) and no decomposition: itself */
	{"sharp s is itself", {0xdf, 0}, {0xdf, 0}},
	/* U+1E9E's simple titlecase is itself; it does not decompose */
	{"capital sharp s is itself", {0x1e9e, 0}, {0x1e9e, 0}},
	/* U+FB01: no titlecase mapping; <compat> f i, not titlecased again */
	{"fi ligature", {0xfb01, 0}, {'f', 'i', 0}},
	/* U+FB03 ffi */
	{"ffi ligature", {0xfb03, 0}, {'f', 'f', 'i', 0}},
	/* Greek: final sigma and sigma both title to capital sigma */
	{"greek final sigma", {0x3c2, 0}, {0x3a3, 0}},
	{"greek sigma", {0x3c3, 0}, {0x3a3, 0}},
	/* U+03AF iota with tonos: title U+038A, which decomposes to U+0399 U+0301 */
	{"greek iota with tonos", {0x3af, 0}, {0x399, 0x301, 0}},
	/* RFC 5051 §2's example: U+01C4 -> U+01C5 -> D U+017E -> D z U+030C */
	{"RFC 5051 example DZ with caron", {0x1c4, 0}, {'D', 'z', 0x30c, 0}},
	{"dz with caron, small", {0x1c6, 0}, {'D', 'z', 0x30c, 0}},
	{"dz with caron, titlecase", {0x1c5, 0}, {'D', 'z', 0x30c, 0}},
	/* Hangul: by algorithm (Unicode §3.12), LV and LVT syllables */
	{"hangul LV syllable", {0xac00, 0}, {0x1100, 0x1161, 0}},
	{"hangul LVT syllable", {0xd55c, 0}, {0x1112, 0x1161, 0x11ab, 0}},
	{"hangul last syllable", {0xd7a3, 0}, {0x1112, 0x1175, 0x11c2, 0}},
	{"hangul jamo stay", {0x1100, 0x1161, 0}, {0x1100, 0x1161, 0}},
	/* fullwidth: <wide> decomposition; the small ones title first */
	{"fullwidth A", {0xff21, 0}, {'A', 0}},
	{"fullwidth a", {0xff41, 0}, {'A', 0}},
	{"fullwidth asterisk", {0xff0a, 0}, {'*', 0}},
	{"fullwidth digit", {0xff12, 0}, {'2', 0}},
	{"no-break space", {0xa0, 0}, {' ', 0}},
	{"superscript two", {0xb2, 0}, {'2', 0}},
	/* U+2460 circled one: <circle> 1 */
	{"circled digit", {0x2460, 0}, {'1', 0}},
	/* U+3392 SQUARE MHZ: <square> M H z */
	{"square MHz", {0x3392, 0}, {'M', 'H', 'z', 0}},
	/* U+1F1 DZ: title U+1F2 Dz: <compat> D z */
	{"DZ digraph", {0x1f1, 0}, {'D', 'z', 0}},
	/* Cyrillic and Armenian */
	{"cyrillic small a", {0x430, 0}, {0x410, 0}},
	{"armenian small ech", {0x565, 0}, {0x535, 0}},
	/* U+0130 I with dot above: title itself, decomposes to I U+0307 */
	{"I with dot above", {0x130, 0}, {'I', 0x307, 0}},
	/* U+0131 dotless i: title I */
	{"dotless i", {0x131, 0}, {'I', 0}},
	/* U+212B ANGSTROM SIGN: canonical U+00C5 -> A U+030A */
	{"angstrom sign", {0x212b, 0}, {'A', 0x30a, 0}},
	/* U+FDFA: the longest expansion (18 code points) */
	{"arabic ligature sallallahou",
	 {0xfdfa, 0},
	 {0x635, 0x644, 0x649, 0x20, 0x627, 0x644, 0x644, 0x647, 0x20, 0x639, 0x644, 0x64a, 0x647,
	  0x20, 0x648, 0x633, 0x644, 0x645, 0}},
	/* beyond the BMP: U+10428 DESERET SMALL LONG I -> U+10400;
	 * U+1D400 MATHEMATICAL BOLD CAPITAL A -> <font> A */
	{"deseret", {0x10428, 0}, {0x10400, 0}},
	{"mathematical bold A", {0x1d400, 0}, {'A', 0}},
	/* unassigned and private-use code points are themselves */
	{"private use", {0xe000, 0x10fffd, 0}, {0xe000, 0x10fffd, 0}},
	{"unassigned", {0x378, 0}, {0x378, 0}},
	/* no reordering of combining marks (RFC 5051 §4 item 2) */
	{"marks keep their order", {'a', 0x308, 0x323, 0}, {'A', 0x308, 0x323, 0}},
};

START_TEST(test_form)
{
	const struct form_case *c = &form_cases[_i];
	struct sv_buf in = SV_BUF_INIT, want = SV_BUF_INIT, out = SV_BUF_INIT, units = SV_BUF_INIT;
	cps(&in, c->in);
	cps(&want, c->want);
	ck_assert_msg(sv_ucm_canon(in.p, in.len, SIZE_MAX, &out, &units) == SV_UCM_PREPARED, "%s: valid", c->name);
	ck_assert_msg(out.len == want.len && memcmp(out.p, want.p, want.len) == 0,
		      "%s: form differs", c->name);
	ck_assert_uint_eq(units.len, out.len);
	/* the units mark where each input character's form begins */
	size_t chars = 0;
	for (size_t i = 0; i < units.len; i++)
		chars += units.p[i] ? 1 : 0;
	size_t nin = 0;
	while (c->in[nin])
		nin++;
	ck_assert_msg(chars == nin, "%s: %zu units for %zu characters", c->name, chars, nin);
	ck_assert_int_eq(units.p[0], 1);
	sv_buf_free(&in);
	sv_buf_free(&want);
	sv_buf_free(&out);
	sv_buf_free(&units);
}
END_TEST

/* RFC 5051 §2 (1)(b): an octet that is not part of a valid UTF-8
 * sequence is the ISO-8859-1 character of its value, prepared as any
 * other; the rest of the string is prepared all the same. */
START_TEST(test_invalid_utf8)
{
	static const struct {
		const char *s;
		size_t len;
		size_t chars;
		uint32_t want[8];
	} bad[] = {
		/* U+00FF titles to U+0178, which is Y U+0308 */
		{"abc\xff", 4, 4, {'A', 'B', 'C', 'Y', 0x308, 0}},
		{"\xc3\xa4\x80", 3, 2, {'A', 0x308, 0x80, 0}},            /* stray continuation */
		{"a\xc0\xaf", 3, 3, {'A', 'A', 0x300, ' ', 0x304, 0}},     /* overlong '/' */
		{"\xe0\x80\xaf", 3, 3, {'A', 0x300, 0x80, ' ', 0x304, 0}}, /* overlong */
		{"\xed\xa0\x80", 3, 3, {'I', 0x301, ' ', 0x80, 0}},        /* surrogate U+D800 */
		{"\xf4\x90\x80\x80", 4, 4, {'O', 0x302, 0x90, 0x80, 0x80, 0}}, /* beyond U+10FFFF */
		{"\xc3", 1, 1, {'A', 0x303, 0}},                           /* truncated */
		{"x\xe2\x82", 3, 3, {'X', 'A', 0x302, 0x82, 0}},           /* truncated */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct sv_buf out = SV_BUF_INIT, units = SV_BUF_INIT, want = SV_BUF_INIT;
		cps(&want, bad[i].want);
		ck_assert(sv_ucm_canon(bad[i].s, bad[i].len, SIZE_MAX, &out, &units) == SV_UCM_NOT_UTF8);
		ck_assert_msg(out.len == want.len && memcmp(out.p, want.p, want.len) == 0,
			      "case %zu: form differs", i);
		/* each octet taken as ISO-8859-1 is one character of :matches */
		size_t starts = 0;
		ck_assert_uint_eq(units.len, out.len);
		for (size_t k = 0; k < units.len; k++)
			starts += (unsigned char)units.p[k];
		ck_assert_uint_eq(starts, bad[i].chars);
		sv_buf_free(&out);
		sv_buf_free(&units);
		sv_buf_free(&want);
	}
	/* offsets of the form map back to the octet */
	ck_assert_uint_eq(sv_ucm_source_offset("abc\xff", 4, 4, true), 4);
	ck_assert_uint_eq(sv_ucm_source_offset("abc\xff", 4, 3, false), 3);
	ck_assert_uint_eq(sv_ucm_source_offset("abc\xff", 4, 5, false), 3);
	ck_assert_uint_eq(sv_ucm_source_offset("abc\xff", 4, 6, false), 4);
	/* the empty string is valid and its own form */
	struct sv_buf out = SV_BUF_INIT;
	ck_assert(sv_ucm_canon("", 0, 0, &out, NULL) == SV_UCM_PREPARED);
	ck_assert_uint_eq(out.len, 0);
	sv_buf_free(&out);
}
END_TEST

/* canon appends, so keys can share one buffer */
START_TEST(test_appends)
{
	struct sv_buf out = SV_BUF_INIT;
	sv_buf_puts(&out, "x:");
	sv_ucm_canon("\xc3\xa4", 2, SIZE_MAX, &out, NULL);
	ck_assert_uint_eq(out.len, 5);
	ck_assert(memcmp(out.p, "x:A\xcc\x88", 5) == 0);
	ck_assert_int_eq(out.p[out.len], '\0');
	sv_buf_free(&out);
}
END_TEST

/* The form is bounded: U+FDFA (3 octets) has the longest form, 33
 * octets; a bound below what the form needs stops it. */
START_TEST(test_bounded)
{
	struct sv_buf out = SV_BUF_INIT;
	const char *fdfa = "\xef\xb7\xba";
	ck_assert_int_eq(sv_ucm_canon(fdfa, 3, 33, &out, NULL), SV_UCM_PREPARED);
	ck_assert_uint_eq(out.len, 33);
	sv_buf_reset(&out);
	ck_assert_int_eq(sv_ucm_canon(fdfa, 3, 32, &out, NULL), SV_UCM_TOO_LONG);
	sv_buf_reset(&out);
	ck_assert_int_eq(sv_ucm_canon("abc", 3, 2, &out, NULL), SV_UCM_TOO_LONG);
	sv_buf_reset(&out);
	ck_assert_int_eq(sv_ucm_canon("abc", 3, 3, &out, NULL), SV_UCM_PREPARED);
	/* the bound counts from what out already holds */
	ck_assert_int_eq(sv_ucm_canon("x\xc3\xa4", 3, 3, &out, NULL), SV_UCM_TOO_LONG);
	sv_buf_reset(&out);
	ck_assert_int_eq(sv_glob_canon(&sv_cmp_unicode_casemap, "a*\xef\xb7\xba", 5, 10, &out),
			 SV_LIMIT);
	sv_buf_reset(&out);
	ck_assert_int_eq(sv_glob_canon(&sv_cmp_unicode_casemap, "a\xef\xbc\x8a", 4, 2, &out),
			 SV_LIMIT);
	sv_buf_reset(&out);
	/* (a string longer than the bound is refused before it is read) */
	ck_assert_int_eq(sv_glob_canon(&sv_cmp_unicode_casemap, "a\xef\xbc\x8a", 4, 4, &out),
			 SV_OK);
	ck_assert_uint_eq(out.len, 3);
	sv_buf_free(&out);
}
END_TEST

/* Offsets of the form map back to the characters they came from. */
START_TEST(test_source_offset)
{
	/* "aÄﬁb": a(1 octet, form 1) Ä(2, form 3) ﬁ(3, form 2) b(1, form 1) */
	const char *s = "a\xc3\x84\xef\xac\x81" "b";
	size_t len = strlen(s);
	static const struct {
		size_t off;
		bool end;
		size_t want;
	} cases[] = {
		{0, false, 0}, {1, false, 1}, {2, false, 1}, {2, true, 3}, {3, false, 1},
		{4, false, 3}, {5, false, 3}, {5, true, 6}, {6, false, 6}, {7, false, 7},
		{4, true, 3},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		ck_assert_msg(sv_ucm_source_offset(s, len, cases[i].off, cases[i].end) == cases[i].want,
			      "offset %zu (end %d)", cases[i].off, cases[i].end);
	/* all at once, in one pass: the same answers */
	size_t off[] = {0, 1, 2, 2, 3, 4, 4, 5, 5, 6, 7, 9};
	bool end[] = {false, false, false, true, false, false, true, false, true, false, false, true};
	size_t want[] = {0, 1, 1, 3, 1, 3, 3, 3, 6, 6, 7, 7};
	sv_ucm_source_offsets(s, len, off, end, sizeof off / sizeof *off);
	for (size_t i = 0; i < sizeof off / sizeof *off; i++)
		ck_assert_msg(off[i] == want[i], "batch offset %zu: %zu, want %zu", i, off[i], want[i]);
	/* not UTF-8: offsets are the string's own, at most its length */
	size_t raw[] = {0, 2, 9};
	bool rawend[] = {false, true, true};
	sv_ucm_source_offsets("a\xff" "b", 3, raw, rawend, 3);
	ck_assert_uint_eq(raw[0], 0);
	ck_assert_uint_eq(raw[1], 2);
	ck_assert_uint_eq(raw[2], 3);
}
END_TEST

/* Every code point: the form is valid UTF-8 and bounded, and nothing in
 * it decomposes further (step 2b is recursive). What is in it may still
 * have a titlecase mapping (the "fi" of U+FB01: step 2a comes first and
 * is not repeated), but that is one code point. */
START_TEST(test_all_code_points)
{
	char form[SV_UCM_FORM_MAX];
	size_t changed = 0;
	for (uint32_t cp = 0; cp < 0x110000; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		/* plain ifs: a check assertion per code point is too slow */
		size_t n = sv_ucm_form(cp, form);
		if (n == 0 || n > SV_UCM_FORM_MAX || !sv_utf8_valid(form, n))
			ck_abort_msg("U+%04X: bad form (length %zu)", (unsigned)cp, n);
		char u[4];
		size_t l = sv_utf8_encode(cp, u);
		if (l != n || memcmp(u, form, n))
			changed++;
		/* the form has nothing left to decompose */
		size_t i = 0;
		while (i < n) {
			uint32_t c;
			size_t k = sv_utf8_decode(form + i, n - i, &c);
			char f2[SV_UCM_FORM_MAX];
			size_t n2 = sv_ucm_form(c, f2);
			char u2[4];
			size_t l2 = sv_utf8_encode(c, u2);
			/* what is left may still title (the "fi" of "ﬁ"), but never
			 * decomposes: its form is one code point */
			if (sv_utf8_count(f2, n2) != 1 && (l2 != n2 || memcmp(u2, f2, n2)))
				ck_abort_msg("U+%04X: U+%04X in its form decomposes", (unsigned)cp,
					     (unsigned)c);
			i += k;
		}
	}
	/* the table has thousands of entries plus 11,172 Hangul syllables */
	ck_assert_uint_gt(changed, 11172 + 5000);
	ck_assert_uint_eq(sv_ucm_form(0x110000, form), 0);
}
END_TEST

START_TEST(test_version)
{
	const char *v = sv_ucm_version();
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_gt(strlen(v), 0);
}
END_TEST

/* The comparator: i;octet on prepared strings (RFC 5051 §2). */
START_TEST(test_comparator)
{
	const struct sv_cmp_def *c = &sv_cmp_unicode_casemap;
	ck_assert_str_eq(c->name, "i;unicode-casemap");
	ck_assert_ptr_nonnull(c->canon);
	ck_assert_ptr_nonnull(c->canon_offsets);
	ck_assert_ptr_nonnull(c->contains);
	ck_assert_ptr_nonnull(c->char_eq);
	struct sv_buf a = SV_BUF_INIT, b = SV_BUF_INIT;
	c->canon("Zebra", 5, SIZE_MAX, &a, NULL);
	c->canon("apple", 5, SIZE_MAX, &b, NULL);
	ck_assert_int_gt(c->compare(a.p, a.len, b.p, b.len), 0);
	sv_buf_reset(&a);
	sv_buf_reset(&b);
	c->canon("\xc3\xa4", 2, SIZE_MAX, &a, NULL); /* ä */
	c->canon("b", 1, SIZE_MAX, &b, NULL);
	ck_assert_int_lt(c->compare(a.p, a.len, b.p, b.len), 0);
	ck_assert(c->contains(a.p, a.len, "A", 1));
	sv_buf_free(&a);
	sv_buf_free(&b);
	/* the others have no canon: their cost is unchanged */
	ck_assert_ptr_null(sv_cmp_octet.canon);
	ck_assert_ptr_null(sv_cmp_ascii_casemap.canon);
	ck_assert_ptr_null(sv_cmp_ascii_numeric.canon);
}
END_TEST

/* :matches keys: literal text prepared, wildcards kept, wildcard
 * characters that preparing made escaped (RFC 5228 §2.7.1). */
START_TEST(test_glob_canon)
{
	static const struct {
		const char *pat, *want;
	} cases[] = {
		{"a*b?c", "A*B?C"},
		{"\xc3\xa4*", "A\xcc\x88*"},
		{"a\xef\xbc\x8a" "b", "A\\*B"},   /* fullwidth asterisk: literal */
		{"why\xef\xbc\x9f", "WHY\\?"},    /* fullwidth question mark */
		{"a\xef\xbc\xbc", "A\\\\"},       /* fullwidth reverse solidus */
		{"a\\*b", "A\\*B"},               /* an escaped '*' stays literal */
		{"a\\\\b", "A\\\\B"},
		{"x\\", "X\\\\"},                 /* a trailing backslash is literal */
		{"\\\xc3\xa4", "A\xcc\x88"},      /* an escaped letter is a letter */
		{"", ""},
		{"\xff*", "Y\xcc\x88*"},          /* not UTF-8: U+00FF */
		{"\\\xe0?", "A\xcc\x80?"},      /* an escaped stray octet is one */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct sv_buf out = SV_BUF_INIT;
		ck_assert_int_eq(sv_glob_canon(&sv_cmp_unicode_casemap, cases[i].pat, strlen(cases[i].pat),
					       SIZE_MAX, &out), SV_OK);
		ck_assert_msg(out.len == strlen(cases[i].want) && memcmp(out.p, cases[i].want, out.len) == 0,
			      "case %zu: got \"%.*s\"", i, (int)out.len, out.p);
		sv_buf_free(&out);
	}
}
END_TEST

/* Globbing by the value's characters, with units from canon. */
static bool glob(const char *val, const char *pat)
{
	struct sv_buf cv = SV_BUF_INIT, units = SV_BUF_INIT, cp = SV_BUF_INIT;
	sv_ucm_canon(val, strlen(val), SIZE_MAX, &cv, &units);
	sv_glob_canon(&sv_cmp_unicode_casemap, pat, strlen(pat), SIZE_MAX, &cp);
	sv_buf_reserve(&cv, 0);
	sv_buf_reserve(&units, 0);
	bool ok = sv_glob_match_units(&sv_cmp_unicode_casemap, cv.p, cv.len,
				      (const unsigned char *)units.p, cp.p, cp.len, NULL);
	sv_buf_free(&cv);
	sv_buf_free(&units);
	sv_buf_free(&cp);
	return ok;
}

START_TEST(test_glob_units)
{
	ck_assert(glob("B\xc3\xa4r", "b?r"));               /* Bär */
	ck_assert(glob("\xef\xac\x81", "?"));               /* ﬁ is one character */
	ck_assert(!glob("\xef\xac\x81", "??"));
	ck_assert(glob("\xed\x95\x9c", "?"));               /* 한 */
	ck_assert(!glob("\xed\x95\x9c", "??"));
	ck_assert(glob("a\xcc\x88", "??"));                 /* decomposed: two */
	ck_assert(glob("\xc3\xa4\xc3\xb6\xc3\xbc", "*\xc3\x96*"));
	ck_assert(glob("\xc3\xa4\xc3\xb6\xc3\xbc", "?*?"));
	ck_assert(!glob("\xc3\xa4\xc3\xb6\xc3\xbc", "????"));
	ck_assert(glob("\xff" "abc", "?*"));                /* an ISO-8859-1 octet */
	ck_assert(glob("\xff" "abc", "?abc"));              /* ... the rest prepared */
	ck_assert(!glob("\xff" "abc", "??abc"));            /* one character */
	ck_assert(glob("\xff" "ABC", "?abc"));
	ck_assert(glob("\xff" "ABC", "\xc3\xbf" "abc"));     /* it is U+00FF */
}
END_TEST

/* Run src over the message text; the result's summary into out (with
 * " (error)" and the error when the run failed). */
static void run_script(const char *src, const char *text, size_t tlen, struct sv_buf *out,
		       size_t *arena_r)
{
	struct sv_settings set;
	sv_settings_init(&set);
	struct sv_diags d;
	sv_diags_init(&d);
	struct sv_buf img = SV_BUF_INIT;
	struct sv_compile_options co = {.settings = &set};
	ck_assert_int_eq(sv_compile("test.sieve", src, strlen(src), &co, &d, &img, NULL), SV_OK);
	sv_diags_free(&d);
	struct sv_binary *bin = NULL;
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(sv_bin_load(img.p, img.len, &bin, &err), SV_OK);
	struct sv_msg *m = sv_msg_new(text, tlen);
	struct sv_envelope env = {.from = "a@example.org", .to = "b@example.org"};
	env.orig_to = env.final_to = env.to;
	struct sv_result res;
	sv_result_init(&res, &set);
	struct sv_vm vm;
	struct sv_vm_options vo = {.settings = &set};
	enum sv_status st = sv_vm_run(&vm, bin, m, &env, &res, &vo);
	sv_result_summary(&res, out);
	if (st != SV_OK)
		sv_buf_printf(out, " (error: %s)", vm.error.p ? vm.error.p : "");
	if (arena_r)
		*arena_r = sv_arena_used(vm.arena);
	sv_vm_cleanup(&vm);
	sv_result_free(&res);
	sv_msg_free(m);
	sv_bin_free(bin);
	sv_buf_free(&img);
	sv_buf_free(&err);
	sv_settings_free(&set);
}

/* Match variables map back to the value in one pass over it, whatever
 * the number of wildcards: 63 captures at the end of an 8 MB value
 * (4,000,000 x U+00E9) must not cost 126 walks over it. ${8} is the
 * 7th '?'. */
START_TEST(test_captures_one_pass)
{
	struct sv_buf msg = SV_BUF_INIT;
	sv_buf_puts(&msg, "From: a@example.org\nSubject: ");
	size_t n = 4000000;
	sv_buf_reserve(&msg, 2 * n);
	for (size_t i = 0; i < n; i++)
		sv_buf_append(&msg, "\xc3\xa9", 2);
	for (size_t i = 0; i < 31; i++)
		sv_buf_puts(&msg, i == 3 ? "aYz" : "axz");
	sv_buf_puts(&msg, "\n\nbody\n");
	struct sv_buf src = SV_BUF_INIT;
	sv_buf_puts(&src, "require [\"variables\", \"fileinto\", \"comparator-i;unicode-casemap\"];\n"
			  "if header :matches :comparator \"i;unicode-casemap\" \"subject\" \"*");
	for (size_t i = 0; i < 31; i++)
		sv_buf_puts(&src, "a??");
	sv_buf_puts(&src, "\" { fileinto \"got-${8}\"; }\n");
	struct sv_buf out = SV_BUF_INIT;
	clock_t t0 = clock();
	run_script(src.p, msg.p, msg.len, &out, NULL);
	double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
	ck_assert_msg(strstr(out.p ? out.p : "", "got-Y") != NULL, "result: %s", out.p);
	/* CPU time, not the wall clock of a busy machine: a fraction of a
	 * second here, about 1 s with sanitizers; one walk per offset took
	 * over 8 s */
	ck_assert_msg(cpu < 4.0, "the match took %.1f s of CPU time", cpu);
	sv_buf_free(&out);
	sv_buf_free(&src);
	sv_buf_free(&msg);
}
END_TEST

/* Keys that are not literal are prepared for one test only: their forms
 * (up to 11 times as long as the key) do not pile up in the run's arena
 * test after test. 40 tests, each with a key of 64 x 4 KB of U+FDFA
 * (256 KB expanded, 2.8 MB prepared): 10 MB of expanded keys in the
 * arena, not 120 MB. */
START_TEST(test_variable_keys_not_kept)
{
	struct sv_buf src = SV_BUF_INIT;
	sv_buf_puts(&src, "require [\"variables\", \"comparator-i;unicode-casemap\"];\nset \"a\" \"");
	for (size_t i = 0; i < 1365; i++)
		sv_buf_puts(&src, "\xef\xb7\xba");
	sv_buf_puts(&src, "\";\n");
	for (size_t t = 0; t < 40; t++) {
		sv_buf_puts(&src, "if string :is :comparator \"i;unicode-casemap\" \"x\" \"");
		for (size_t i = 0; i < 64; i++)
			sv_buf_puts(&src, "${a}");
		sv_buf_puts(&src, "\" { stop; }\n");
	}
	static const char msg[] = "From: a@example.org\n\nbody\n";
	struct sv_buf out = SV_BUF_INIT;
	size_t used = 0;
	run_script(src.p, msg, sizeof msg - 1, &out, &used);
	ck_assert_msg(strstr(out.p ? out.p : "", "error") == NULL, "result: %s", out.p);
	ck_assert_msg(used < 30 * 1024 * 1024, "the arena holds %zu MB", used >> 20);
	sv_buf_free(&out);
	sv_buf_free(&src);
}
END_TEST

static Suite *ucm_suite(void)
{
	Suite *s = suite_create("unicode-casemap");
	TCase *tc = tcase_create("form");
	tcase_add_loop_test(tc, test_form, 0, (int)(sizeof form_cases / sizeof *form_cases));
	tcase_add_test(tc, test_invalid_utf8);
	tcase_add_test(tc, test_appends);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_source_offset);
	tcase_add_test(tc, test_all_code_points);
	tcase_add_test(tc, test_version);
	suite_add_tcase(s, tc);
	tc = tcase_create("comparator");
	tcase_add_test(tc, test_comparator);
	tcase_add_test(tc, test_glob_canon);
	tcase_add_test(tc, test_glob_units);
	suite_add_tcase(s, tc);
	tc = tcase_create("vm");
	/* a backstop: the test measures its CPU time itself */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_captures_one_pass);
	tcase_add_test(tc, test_variable_keys_not_kept);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ucm_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
