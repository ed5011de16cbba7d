/*
 * check_scripts.c: the scripts of a delivery and the compiled-script cache
 * (src/delivery/scripts.c): folder order, which .svbin is used, when it is
 * rebuilt, what a global folder is never written, and what an unusable
 * script reports.
 */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "delivery/scripts.h"
#include "lib/alloc.h"
#include "parser/script.h"
#include "vm/binary.h"

static char root[64];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void setup(void)
{
	snprintf(root, sizeof root, "/tmp/check_scripts.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *path(const char *rel)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", root, rel);
	return p[i];
}

static void put(const char *rel, const char *text)
{
	FILE *f = fopen(path(rel), "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Set a file's modification time to now + delta seconds. */
static void touch(const char *rel, int delta)
{
	struct timeval tv[2];
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec += delta;
	tv[1] = tv[0];
	ck_assert_int_eq(utimes(path(rel), tv), 0);
}

static bool exists(const char *rel)
{
	struct stat st;
	return stat(path(rel), &st) == 0;
}

static time_t mtime(const char *rel)
{
	struct stat st;
	ck_assert_int_eq(stat(path(rel), &st), 0);
	return st.st_mtime;
}

static enum sv_status load1(const char *rel, bool global, bool missing_ok,
			    struct sv_dlv_scripts *s, struct sv_buf *text)
{
	sv_dlv_scripts_init(s);
	sv_dlv_scripts_add_file(s, path(rel), global, missing_ok);
	sv_buf_reset(text);
	return sv_dlv_script_load(&s->v[0], NULL, text);
}

/* *.sieve files of a folder in name order; others and hidden ones not. */
START_TEST(test_folder_order)
{
	ck_assert_int_eq(mkdir(path("before"), 0700), 0);
	put("before/20-b.sieve", "keep;\n");
	put("before/10-a.sieve", "keep;\n");
	put("before/10-a.svbin", "x");
	put("before/.hidden.sieve", "keep;\n");
	put("before/notes.txt", "x");
	put("before/Z.sieve", "keep;\n");
	struct sv_dlv_scripts s;
	sv_dlv_scripts_init(&s);
	sv_dlv_scripts_add_folder(&s, path("before"), true);
	sv_dlv_scripts_add_folder(&s, path("no-such-folder"), true);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_str_eq(s.v[0].path, path("before/10-a.sieve"));
	ck_assert_str_eq(s.v[1].path, path("before/20-b.sieve"));
	ck_assert_str_eq(s.v[2].path, path("before/Z.sieve"));
	ck_assert(s.v[0].global);
	sv_dlv_scripts_free(&s);
}
END_TEST

/* The user's script: compiled once, the binary written beside the file
 * the symlink points to, used while current, rebuilt when the script is
 * newer or the binary is corrupt. */
START_TEST(test_user_cache)
{
	ck_assert_int_eq(mkdir(path("sieve"), 0700), 0);
	put("sieve/main.sieve", "require \"fileinto\";\nfileinto \"A\";\n");
	ck_assert_int_eq(symlink("sieve/main.sieve", path(".sieve")), 0);
	struct sv_dlv_scripts s;
	struct sv_buf text = SV_BUF_INIT;
	ck_assert_int_eq(load1(".sieve", false, true, &s, &text), SV_OK);
	ck_assert_ptr_nonnull(s.v[0].bin);
	ck_assert(exists("sieve/main.svbin"));
	ck_assert(!exists(".svbin"));
	ck_assert(!exists(".sieve.svbin"));
	sv_dlv_scripts_free(&s);

	/* current: used as it is (not rewritten) */
	touch("sieve/main.svbin", -5);
	touch("sieve/main.sieve", -10);
	time_t t0 = mtime("sieve/main.svbin");
	ck_assert_int_eq(load1(".sieve", false, true, &s, &text), SV_OK);
	ck_assert_int_eq(mtime("sieve/main.svbin"), t0);
	sv_dlv_scripts_free(&s);

	/* the script is newer: rebuilt */
	put("sieve/main.sieve", "discard;\n");
	touch("sieve/main.sieve", 0);
	ck_assert_int_eq(load1(".sieve", false, true, &s, &text), SV_OK);
	ck_assert_int_gt(mtime("sieve/main.svbin"), t0);
	sv_dlv_scripts_free(&s);

	/* a corrupt binary, newer than the script: rebuilt, never run */
	put("sieve/main.svbin", "garbage that is not a binary");
	touch("sieve/main.svbin", 5);
	ck_assert_int_eq(load1(".sieve", false, true, &s, &text), SV_OK);
	FILE *f = fopen(path("sieve/main.svbin"), "rb");
	ck_assert_ptr_nonnull(f);
	char magic[4];
	ck_assert_uint_eq(fread(magic, 1, 4, f), 4);
	fclose(f);
	ck_assert(memcmp(magic, "garb", 4) != 0);
	sv_dlv_scripts_free(&s);
	sv_buf_free(&text);
}
END_TEST

/* An extension's setting is in the fingerprint when its row says it
 * changes what the compiler produces, and only then. */
START_TEST(test_extension_settings_fingerprint)
{
	struct sv_settings a, b;
	sv_settings_init(&a);
	sv_settings_init(&b);
	struct sv_buf err = SV_BUF_INIT;
	ck_assert(sv_settings_set(&b, "max-regex-memory", "64M", &err));
	ck_assert_uint_ne(sv_bin_fingerprint_for(&a), sv_bin_fingerprint_for(&b));
	sv_settings_free(&b);
	sv_settings_init(&b);
	ck_assert(sv_settings_set(&b, "environment-host", "mx.example.org", &err));
	ck_assert_uint_eq(sv_bin_fingerprint_for(&a), sv_bin_fingerprint_for(&b));
	sv_settings_free(&a);
	sv_settings_free(&b);
	sv_buf_free(&err);
}
END_TEST

/* A binary built under other compile-time limits is rebuilt. */
START_TEST(test_settings_fingerprint)
{
	struct sv_settings a, b;
	sv_settings_init(&a);
	sv_settings_init(&b);
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_uint_eq(sv_bin_fingerprint_for(&a), sv_bin_fingerprint_for(NULL));
	ck_assert(sv_settings_set(&b, "max-nesting-depth", "10", &err));
	ck_assert_uint_ne(sv_bin_fingerprint_for(&a), sv_bin_fingerprint_for(&b));
	/* a run-time budget does not change the code */
	sv_settings_init(&b);
	ck_assert(sv_settings_set(&b, "max-cpu-time", "5", &err));
	ck_assert_uint_eq(sv_bin_fingerprint_for(&a), sv_bin_fingerprint_for(&b));

	put("s.sieve", "keep;\n");
	struct sv_dlv_scripts s;
	sv_dlv_scripts_init(&s);
	sv_dlv_scripts_add_file(&s, path("s.sieve"), false, false);
	ck_assert_int_eq(sv_dlv_script_load(&s.v[0], &a, &err), SV_OK);
	sv_dlv_scripts_free(&s);
	touch("s.svbin", 5);
	time_t t0 = mtime("s.svbin");
	sv_settings_init(&b);
	ck_assert(sv_settings_set(&b, "max-nesting-depth", "10", &err));
	sv_dlv_scripts_init(&s);
	sv_dlv_scripts_add_file(&s, path("s.sieve"), false, false);
	ck_assert_int_eq(sv_dlv_script_load(&s.v[0], &b, &err), SV_OK);
	ck_assert_int_ne(mtime("s.svbin"), t0);
	sv_dlv_scripts_free(&s);
	sv_settings_free(&a);
	sv_settings_free(&b);
	sv_buf_free(&err);
}
END_TEST

/* Global scripts: never written; a stale one compiled in memory. */
START_TEST(test_global_not_written)
{
	put("g.sieve", "keep;\n");
	struct sv_dlv_scripts s;
	struct sv_buf text = SV_BUF_INIT;
	ck_assert_int_eq(load1("g.sieve", true, false, &s, &text), SV_OK);
	ck_assert(s.v[0].stale);
	ck_assert(!exists("g.svbin"));
	sv_dlv_scripts_free(&s);
	/* precompiled (as sievec does, here by a user load): used, not stale */
	ck_assert_int_eq(load1("g.sieve", false, false, &s, &text), SV_OK);
	sv_dlv_scripts_free(&s);
	touch("g.svbin", 5);
	ck_assert_int_eq(load1("g.sieve", true, false, &s, &text), SV_OK);
	ck_assert(!s.v[0].stale);
	sv_dlv_scripts_free(&s);
	sv_buf_free(&text);
}
END_TEST

/* What cannot run says why, located; a missing script is told apart. */
START_TEST(test_unusable)
{
	struct sv_dlv_scripts s;
	struct sv_buf text = SV_BUF_INIT;
	put("bad.sieve", "keep;\nfileinto \"x\";\n");
	ck_assert_int_eq(load1("bad.sieve", false, false, &s, &text), SV_FAIL);
	ck_assert_ptr_null(s.v[0].bin);
	ck_assert(!s.v[0].missing);
	ck_assert_msg(strstr(text.p, "bad.sieve:2:1: error") != NULL, "%s", text.p);
	ck_assert(!exists("bad.svbin"));
	sv_dlv_scripts_free(&s);

	ck_assert_int_eq(load1("none.sieve", false, true, &s, &text), SV_FAIL);
	ck_assert(s.v[0].missing);
	sv_dlv_scripts_free(&s);

	ck_assert_int_eq(mkdir(path("dir.sieve"), 0700), 0);
	ck_assert_int_eq(load1("dir.sieve", false, false, &s, &text), SV_FAIL);
	ck_assert(!s.v[0].missing);
	ck_assert_msg(strstr(text.p, "not a regular file") != NULL, "%s", text.p);
	sv_dlv_scripts_free(&s);

	/* a dangling symlink is a missing script */
	ck_assert_int_eq(symlink("sieve/gone.sieve", path("dangling")), 0);
	ck_assert_int_eq(load1("dangling", false, true, &s, &text), SV_FAIL);
	ck_assert(s.v[0].missing);
	sv_dlv_scripts_free(&s);
	sv_buf_free(&text);
}
END_TEST

/* RFC 6609 §3.1 (names after RFC 5804 §1.6): a name, never a path. */
START_TEST(test_script_names)
{
	static const struct {
		const char *name;
		size_t len;
		bool ok;
	} cases[] = {
	    {"lib", 3, true},
	    {"my list.v2", 10, true},
	    {"caf\xc3\xa9", 5, true},
	    {"", 0, false},
	    {"../x", 4, false},
	    {"a/b", 3, false},
	    {".hidden", 7, false},
	    {"..", 2, false},
	    {"a\nb", 3, false},
	    {"a\0b", 3, false},
	    {"a\x7f", 2, false},
	    {"a\xc2\x85", 3, false},          /* C1 NEL */
	    {"a\xe2\x80\xa8", 4, false},      /* U+2028 */
	    {"\xff", 1, false},               /* not UTF-8 */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sv_buf why = SV_BUF_INIT;
		bool ok = sv_script_name_check(cases[i].name, cases[i].len, &why);
		ck_assert_msg(ok == cases[i].ok, "case %zu", i);
		ck_assert_msg(ok || why.len > 0, "case %zu: no reason", i);
		sv_buf_free(&why);
	}
	char longname[SV_SCRIPT_NAME_MAX + 2];
	memset(longname, 'a', sizeof longname);
	ck_assert(sv_script_name_check(longname, SV_SCRIPT_NAME_MAX, NULL));
	ck_assert(!sv_script_name_check(longname, SV_SCRIPT_NAME_MAX + 1, NULL));
}
END_TEST

/* The include resolver: personal scripts cached and written beside,
 * global ones never written, a missing one told apart, names that
 * would leave the folder refused before any file is looked at. */
START_TEST(test_resolver)
{
	ck_assert_int_eq(mkdir(path("p"), 0700), 0);
	ck_assert_int_eq(mkdir(path("g"), 0700), 0);
	put("p/lib.sieve", "keep;\n");
	put("g/site.sieve", "discard;\n");
	put("escape.sieve", "keep;\n");
	struct sv_settings set;
	sv_settings_init(&set);
	struct sv_script_resolver r;
	sv_dlv_resolver_init(&r, path("p"), path("g"), &set);
	const struct sv_binary *b1 = NULL, *b2 = NULL;
	bool missing;
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_resolve(&r, SV_SCRIPT_PERSONAL, "lib", 3, &b1, &missing, &err),
			 SV_OK);
	ck_assert(exists("p/lib.svbin"));
	/* a second include of it is the same binary, not a second load */
	ck_assert_int_eq(sv_dlv_resolve(&r, SV_SCRIPT_PERSONAL, "lib", 3, &b2, &missing, &err),
			 SV_OK);
	ck_assert_ptr_eq(b1, b2);
	ck_assert_int_eq(sv_dlv_resolve(&r, SV_SCRIPT_GLOBAL, "site", 4, &b1, &missing, &err),
			 SV_OK);
	ck_assert(!exists("g/site.svbin"));
	/* the personal folder has no site, the global one no lib */
	ck_assert_int_eq(sv_dlv_resolve(&r, SV_SCRIPT_PERSONAL, "site", 4, &b1, &missing, &err),
			 SV_FAIL);
	ck_assert(missing);
	sv_buf_reset(&err);
	ck_assert_int_eq(sv_dlv_resolve(&r, SV_SCRIPT_PERSONAL, "../escape", 9, &b1, &missing,
					&err),
			 SV_FAIL);
	ck_assert(!missing);
	ck_assert_ptr_null(b1);
	ck_assert_msg(strstr(err.p, "'/'") != NULL, "%s", err.p);
	sv_dlv_resolver_free(&r);
	/* without a global folder, :global is an error that says so */
	sv_dlv_resolver_init(&r, path("p"), NULL, &set);
	sv_buf_reset(&err);
	ck_assert_int_eq(sv_dlv_resolve(&r, SV_SCRIPT_GLOBAL, "site", 4, &b1, &missing, &err),
			 SV_FAIL);
	ck_assert(!missing);
	ck_assert_msg(strstr(err.p, "no folder") != NULL, "%s", err.p);
	sv_dlv_resolver_free(&r);
	sv_buf_free(&err);
	sv_settings_free(&set);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scripts");
	TCase *tc = tcase_create("cache");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_folder_order);
	tcase_add_test(tc, test_user_cache);
	tcase_add_test(tc, test_settings_fingerprint);
	tcase_add_test(tc, test_extension_settings_fingerprint);
	tcase_add_test(tc, test_global_not_written);
	tcase_add_test(tc, test_unusable);
	tcase_add_test(tc, test_script_names);
	tcase_add_test(tc, test_resolver);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
