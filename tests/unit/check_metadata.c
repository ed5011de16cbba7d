/*
 * check_metadata.c: the metadata service (src/delivery/metadata.c): entry
 * names (RFC 5464 §3.2), the file format of metadata.h (fields, escapes,
 * comments, later lines winning, INBOX and entries without case), errors
 * with file and line, a missing file, a file read only when needed and
 * read again after a failure, and the test double.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delivery/metadata.h"

static char root[64];
static char upath[128], spath[128];

static void setup(void)
{
	snprintf(root, sizeof root, "/tmp/check_metadata.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(upath, sizeof upath, "%s/user", root);
	snprintf(spath, sizeof spath, "%s/server", root);
}

static void teardown(void)
{
	unlink(upath);
	unlink(spath);
	rmdir(root);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* get into a static buffer: "" with *found false when missing */
static const char *get(struct sv_metadata *md, const char *mb, const char *entry, bool *found,
                       enum sv_status *st_r)
{
	static struct sv_buf v = SV_BUF_INIT;
	struct sv_buf err = SV_BUF_INIT;
	sv_buf_reset(&v);
	*st_r = md->get(md, mb, mb ? strlen(mb) : 0, entry, strlen(entry), &v, found, &err);
	sv_buf_free(&err);
	sv_buf_putc(&v, '\0');
	return v.p;
}

static const struct {
	const char *name;
	bool ok;
} entry_cases[] = {
	{"/private/comment", true},
	{"/shared/comment", true},
	{"/Shared/Vendor/x.y/z", true},
	{"/private/a b", true},
	{"/private", false},
	{"/shared/", false},
	{"/public/comment", false},
	{"private/comment", false},
	{"/shared//x", false},
	{"/shared/x/", false},
	{"/shared/*", false},
	{"/shared/a%b", false},
	{"/shared/\x7f", false},
	{"/shared/\t", false},
	{"/shared/\xc3\xa9", false},
	{"", false},
};

START_TEST(test_entry_names)
{
	struct sv_buf err = SV_BUF_INIT;
	bool ok = sv_metadata_entry_check(entry_cases[_i].name, strlen(entry_cases[_i].name), &err);
	ck_assert_msg(ok == entry_cases[_i].ok, "%s: %s", entry_cases[_i].name,
	              err.p ? err.p : "accepted");
	if (!ok)
		ck_assert_ptr_nonnull(err.p);
	sv_buf_free(&err);
}
END_TEST

START_TEST(test_entry_too_long)
{
	char name[SV_METADATA_MAX_ENTRY + 2];
	memcpy(name, "/shared/", 8);
	memset(name + 8, 'x', sizeof name - 9);
	name[sizeof name - 1] = '\0';
	struct sv_buf err = SV_BUF_INIT;
	ck_assert(!sv_metadata_entry_check(name, strlen(name), &err));
	ck_assert(sv_metadata_entry_check(name, SV_METADATA_MAX_ENTRY, &err));
	sv_buf_free(&err);
}
END_TEST

START_TEST(test_files)
{
	write_file(upath, "# annotations\n"
	                  "\n"
	                  "INBOX\t/private/comment\tfirst\n"
	                  "Lists.Team\t/shared/comment\ta\\tb\\nc\\\\d\\r\n"
	                  "inbox\t/PRIVATE/Comment\tsecond\r\n"
	                  "Empty\t/shared/x\t\n");
	write_file(spath, "/shared/motd\thello world\n");
	struct sv_metadata *md = sv_dlv_metadata_files(upath, spath);
	bool found;
	enum sv_status st;
	/* the later line wins; INBOX and the entry without case */
	ck_assert_str_eq(get(md, "Inbox", "/private/comment", &found, &st), "second");
	ck_assert(found && st == SV_OK);
	ck_assert_str_eq(get(md, "Lists.Team", "/shared/comment", &found, &st), "a\tb\nc\\d\r");
	ck_assert(found);
	ck_assert_str_eq(get(md, "Empty", "/shared/x", &found, &st), "");
	ck_assert(found);
	get(md, "lists.team", "/shared/comment", &found, &st);
	ck_assert(!found && st == SV_OK);
	get(md, "INBOX", "/shared/motd", &found, &st);
	ck_assert(!found);
	ck_assert_str_eq(get(md, NULL, "/shared/motd", &found, &st), "hello world");
	ck_assert(found);
	get(md, NULL, "/private/comment", &found, &st);
	ck_assert(!found);
	md->close(md);
}
END_TEST

START_TEST(test_missing_files)
{
	struct sv_metadata *md = sv_dlv_metadata_files(upath, NULL);
	bool found = true;
	enum sv_status st;
	get(md, "INBOX", "/private/comment", &found, &st);
	ck_assert(!found && st == SV_OK);
	get(md, NULL, "/private/comment", &found, &st);
	ck_assert(!found && st == SV_OK);
	md->close(md);
}
END_TEST

static const struct {
	const char *text;
	bool server;
	const char *why;
} bad_cases[] = {
	{"INBOX\t/private/comment\n", false, ":1: 2 tab-separated fields, not 3"},
	{"# c\nINBOX\t/private/c\tv\textra\n", false, ":2: more than 3"},
	{"\t/private/comment\tv\n", false, ":1: empty mailbox name"},
	{"INBOX\t/comment\tv\n", false, ":1: entry name must start"},
	{"INBOX\t/private/c\tv\\x\n", false, ":1: unknown backslash escape"},
	{"INBOX\t/private/c\tv\\\n", false, ":1: unknown backslash escape"},
	{"/shared/motd\n", true, ":1: 1 tab-separated fields, not 2"},
	{"INBOX\t/private/c\tv\n", true, ":1: more than 2"},
	{"INBOX\t/private/c\t\xff\n", false, ": not UTF-8"},
	{"INBOX\t/private/c\tv\rw\n", false, ":1: control character"},
};

START_TEST(test_bad_lines)
{
	const char *path = bad_cases[_i].server ? spath : upath;
	write_file(path, bad_cases[_i].text);
	struct sv_metadata *md =
	    bad_cases[_i].server ? sv_dlv_metadata_files(NULL, spath) : sv_dlv_metadata_files(upath, NULL);
	struct sv_buf v = SV_BUF_INIT, err = SV_BUF_INIT;
	bool found = true;
	const char *mb = bad_cases[_i].server ? NULL : "INBOX";
	enum sv_status st =
	    md->get(md, mb, mb ? 5 : 0, "/private/c", 10, &v, &found, &err);
	ck_assert_int_eq(st, SV_FAIL);
	ck_assert(!found);
	ck_assert_ptr_nonnull(err.p);
	ck_assert_msg(strstr(err.p, path) && strstr(err.p, bad_cases[_i].why), "%s", err.p);
	md->close(md);
	sv_buf_free(&v);
	sv_buf_free(&err);
}
END_TEST

/* a file is read on the first look-up that needs it; after a failure the
 * next look-up reads it again */
START_TEST(test_read_when_needed)
{
	struct sv_metadata *md = sv_dlv_metadata_files(upath, spath);
	write_file(upath, "INBOX\t/private/c\tv\n");
	write_file(spath, "broken\n");
	bool found;
	enum sv_status st;
	/* the server file is not read for a mailbox annotation */
	ck_assert_str_eq(get(md, "INBOX", "/private/c", &found, &st), "v");
	ck_assert(found && st == SV_OK);
	get(md, NULL, "/shared/motd", &found, &st);
	ck_assert_int_eq(st, SV_FAIL);
	write_file(spath, "/shared/motd\tfixed\n");
	ck_assert_str_eq(get(md, NULL, "/shared/motd", &found, &st), "fixed");
	ck_assert(found && st == SV_OK);
	/* read once: a change after that is not seen */
	write_file(upath, "INBOX\t/private/c\tchanged\n");
	ck_assert_str_eq(get(md, "INBOX", "/private/c", &found, &st), "v");
	md->close(md);
}
END_TEST

START_TEST(test_unreadable)
{
	/* a folder where the file should be */
	ck_assert_int_eq(mkdir(upath, 0700), 0);
	struct sv_metadata *md = sv_dlv_metadata_files(upath, NULL);
	bool found;
	enum sv_status st;
	get(md, "INBOX", "/private/c", &found, &st);
	ck_assert_int_eq(st, SV_FAIL);
	md->close(md);
	rmdir(upath);
	/* too large */
	FILE *f = fopen(upath, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i <= SV_METADATA_MAX_FILE / 32; i++)
		fputs("# padding padding padding padding padding padding padding pad\n", f);
	fclose(f);
	md = sv_dlv_metadata_files(upath, NULL);
	get(md, "INBOX", "/private/c", &found, &st);
	ck_assert_int_eq(st, SV_FAIL);
	md->close(md);
}
END_TEST

START_TEST(test_mem)
{
	struct sv_metadata *md = sv_dlv_metadata_mem();
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_metadata_set(md, "INBOX", 5, "/private/c", 10, "v1", 2, &err), SV_OK);
	ck_assert_int_eq(sv_dlv_metadata_set(md, "inbox", 5, "/private/C", 10, "v2", 2, &err), SV_OK);
	ck_assert_int_eq(sv_dlv_metadata_set(md, NULL, 0, "/shared/m", 9, "s", 1, &err), SV_OK);
	ck_assert_int_eq(sv_dlv_metadata_set(md, "INBOX", 5, "/bad", 4, "v", 1, &err), SV_FAIL);
	ck_assert_ptr_nonnull(err.p);
	ck_assert_int_eq(sv_dlv_metadata_set(md, "", 0, "/shared/m", 9, "v", 1, &err), SV_FAIL);
	bool found;
	enum sv_status st;
	ck_assert_str_eq(get(md, "INBOX", "/private/c", &found, &st), "v2");
	ck_assert_str_eq(get(md, NULL, "/shared/m", &found, &st), "s");
	get(md, "INBOX", "/shared/m", &found, &st);
	ck_assert(!found);
	sv_buf_free(&err);
	md->close(md);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metadata");
	TCase *tc = tcase_create("metadata");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_entry_names, 0, sizeof entry_cases / sizeof entry_cases[0]);
	tcase_add_test(tc, test_entry_too_long);
	tcase_add_test(tc, test_files);
	tcase_add_test(tc, test_missing_files);
	tcase_add_loop_test(tc, test_bad_lines, 0, sizeof bad_cases / sizeof bad_cases[0]);
	tcase_add_test(tc, test_read_when_needed);
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_mem);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
