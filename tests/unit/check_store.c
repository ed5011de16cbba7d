/*
 * check_store.c: the mail stores behind sieve-deliver (src/delivery/
 * store.c, maildir.c, mbox.c): locations, Maildir unique names and size
 * tags, folder names under both separators, IMAP modified UTF-7 (RFC 3501
 * §5.1.3), refused names, Maildir++ quota (maildirsize), and mbox: the
 * From line, mboxrd escaping, flag fields, rollback, locking under
 * concurrent writers, stale and held locks.
 *
 * Every test works in its own scratch folder under /tmp.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "delivery/maildir.h"
#include "delivery/mbox.h"
#include "delivery/store.h"
#include "lib/alloc.h"

static char root[64];
static const char msg[] = "From: a@example.org\nSubject: t\n\nbody\n";
#define MSG msg, sizeof msg - 1

/* ---- scratch folder and small helpers ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void setup(void)
{
	snprintf(root, sizeof root, "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	setenv("TZ", "UTC", 1);
	tzset();
}

static void teardown(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* root/rel into a static path buffer */
static const char *at(const char *rel)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", root, rel);
	return p[k];
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	ck_assert_int_eq(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static off_t size_of(const char *path)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

/* The only file name in a folder (asserts there is exactly one). */
static void only_file(const char *folder, char *name, size_t cap)
{
	DIR *d = opendir(folder);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(name, cap, "%s", e->d_name);
			n++;
		}
	closedir(d);
	ck_assert_int_eq(n, 1);
}

static int count_entries(const char *folder)
{
	DIR *d = opendir(folder);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	struct sv_buf b = SV_BUF_INIT;
	char chunk[4096];
	size_t r;
	while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
		sv_buf_append(&b, chunk, r);
	fclose(f);
	sv_buf_putc(&b, '\0');
	return sv_buf_steal(&b, NULL);
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static struct sv_store *open_maildir(const struct sv_store_opts *o)
{
	struct sv_store *s = NULL;
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_msg(sv_dlv_maildir_open_opts(at("Maildir"), o, &s, &err) == SV_OK, "%s",
	              err.p ? err.p : "");
	sv_buf_free(&err);
	return s;
}

static struct sv_store *open_mbox(const struct sv_store_opts *o)
{
	struct sv_store *s = NULL;
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_msg(sv_dlv_mbox_open(at("mail"), at("mail/inbox"), o, &s, &err) == SV_OK, "%s",
	              err.p ? err.p : "");
	sv_buf_free(&err);
	return s;
}

/* save into mailbox, returning the status; the error text in err_r */
static enum sv_status save(struct sv_store *s, const char *mb, const char *m, size_t len,
                           const char *const *flags, size_t nflags, char *err_r, size_t cap)
{
	struct sv_buf err = SV_BUF_INIT;
	enum sv_status st = sv_dlv_store_save(s, mb, strlen(mb), m, len, flags, nflags, &err);
	if (err_r)
		snprintf(err_r, cap, "%s", err.p ? err.p : "");
	sv_buf_free(&err);
	return st;
}

static void save_ok(struct sv_store *s, const char *mb, const char *m, size_t len)
{
	char e[256];
	ck_assert_msg(save(s, mb, m, len, NULL, 0, e, sizeof e) == SV_OK, "save into %s: %s", mb,
	              e);
}

/* ---- options and locations ---- */

START_TEST(test_opts_defaults)
{
	struct sv_store_opts o;
	memset(&o, 0x5a, sizeof o);
	sv_store_opts_init(&o);
	ck_assert(o.autocreate);
	ck_assert_int_eq(o.separator, '.');
	ck_assert_uint_eq(o.quota_bytes, 0);
	ck_assert_uint_eq(o.quota_messages, 0);
	ck_assert_int_eq(o.over_quota, SV_QUOTA_TEMPFAIL);
	ck_assert_uint_eq(o.lock_timeout, 300);
	ck_assert_ptr_null(o.hostname);
}
END_TEST

static enum sv_status open_loc(const char *loc, struct sv_store **s, char *err_r, size_t cap)
{
	struct sv_store_opts o;
	sv_store_opts_init(&o);
	struct sv_buf err = SV_BUF_INIT;
	enum sv_status st = sv_dlv_store_open(loc, &o, s, &err);
	snprintf(err_r, cap, "%s", err.p ? err.p : "");
	sv_buf_free(&err);
	return st;
}

START_TEST(test_locations)
{
	char loc[600], e[512];
	struct sv_store *s;

	/* maildir:PATH and a bare path are Maildirs: cur/new/tmp made */
	snprintf(loc, sizeof loc, "maildir:%s", at("md1"));
	ck_assert_int_eq(open_loc(loc, &s, e, sizeof e), SV_OK);
	ck_assert(exists(at("md1/new")) && exists(at("md1/cur")) && exists(at("md1/tmp")));
	save_ok(s, "INBOX", MSG);
	ck_assert_int_eq(count_entries(at("md1/new")), 1);
	s->close(s);
	ck_assert_int_eq(open_loc(at("md2"), &s, e, sizeof e), SV_OK);
	ck_assert(exists(at("md2/tmp")));
	s->close(s);

	/* mbox:PATH: INBOX is PATH/inbox */
	snprintf(loc, sizeof loc, "mbox:%s", at("mb1"));
	ck_assert_int_eq(open_loc(loc, &s, e, sizeof e), SV_OK);
	save_ok(s, "INBOX", MSG);
	ck_assert(exists(at("mb1/inbox")));
	s->close(s);

	/* mbox:PATH:INBOX=FILE */
	snprintf(loc, sizeof loc, "mbox:%s:INBOX=%s", at("mb2"), at("spool-user"));
	ck_assert_int_eq(open_loc(loc, &s, e, sizeof e), SV_OK);
	save_ok(s, "inbox", MSG);
	save_ok(s, "Other", MSG);
	ck_assert(exists(at("spool-user")));
	ck_assert(exists(at("mb2/Other")));
	ck_assert(!exists(at("mb2/inbox")));
	s->close(s);

	/* what cannot be understood is a permanent failure that says why */
	ck_assert_int_eq(open_loc("mdbox:/tmp/x", &s, e, sizeof e), SV_FAIL);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(e, "unknown mail store 'mdbox'"), "%s", e);
	ck_assert_int_eq(open_loc("maildir:", &s, e, sizeof e), SV_FAIL);
	ck_assert_int_eq(open_loc("mbox:", &s, e, sizeof e), SV_FAIL);
	snprintf(loc, sizeof loc, "mbox:%s:INBOX=", at("mb3"));
	ck_assert_int_eq(open_loc(loc, &s, e, sizeof e), SV_FAIL);
}
END_TEST

/* ---- Maildir: unique names, size tags, modes ---- */

START_TEST(test_unique_names)
{
	struct sv_store_opts o;
	sv_store_opts_init(&o);
	o.hostname = "mx/1:a";
	struct sv_store *s = open_maildir(&o);
	/* 3 lines: W= counts a CR for each LF */
	save_ok(s, "INBOX", MSG);
	char name[256];
	only_file(at("Maildir/new"), name, sizeof name);
	char pattern[256];
	snprintf(pattern, sizeof pattern,
	         "^[0-9]+\\.M[0-9]{6}P%ldQ[0-9]+\\.mx\\\\0571\\\\072a,S=%zu,W=%zu$", (long)getpid(),
	         sizeof msg - 1, sizeof msg - 1 + 4);
	regex_t re;
	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, name, 0, NULL, 0) == 0, "name %s does not match %s", name,
	              pattern);
	regfree(&re);
	ck_assert_int_eq(mode_of(at("Maildir")), 0700);
	ck_assert_int_eq(mode_of(at("Maildir/new")), 0700);
	char p[600];
	snprintf(p, sizeof p, "%s/%s", at("Maildir/new"), name);
	ck_assert_int_eq(mode_of(p), 0600);

	/* a CRLF line is not counted twice; names of one process differ */
	static const char crlf[] = "Subject: x\r\n\r\nbody";
	save_ok(s, "Sub", crlf, sizeof crlf - 1);
	only_file(at("Maildir/.Sub/new"), name, sizeof name);
	char tags[64];
	snprintf(tags, sizeof tags, ",S=%zu,W=%zu", sizeof crlf - 1, sizeof crlf - 1);
	ck_assert_msg(strstr(name, tags), "%s lacks %s", name, tags);
	for (int i = 0; i < 5; i++)
		save_ok(s, "INBOX", MSG);
	ck_assert_int_eq(count_entries(at("Maildir/new")), 6);
	ck_assert_int_eq(count_entries(at("Maildir/tmp")), 0);

	/* a keyword: its letter file is private too */
	const char *kw[] = {"$Label1"};
	ck_assert_int_eq(save(s, "INBOX", MSG, kw, 1, NULL, 0), SV_OK);
	ck_assert_int_eq(mode_of(at("Maildir/dovecot-keywords")), 0600);
	s->close(s);
}
END_TEST

/* ---- folder names ---- */

static const struct {
	char sep;
	const char *name;
	const char *folder; /* under Maildir/, NULL: refused */
} maildir_names[] = {
    {'.', "A", ".A"},
    {'.', "A.B", ".A.B"},
    {'.', "A/B", ".A.B"}, /* '/' separates under '.' too */
    {'.', "A.B/C", ".A.B.C"},
    {'/', "A/B", ".A.B"},
    {'/', "A/B/C", ".A.B.C"},
    {'/', "A.B", NULL}, /* could not be told from A/B on disk */
    {'/', "A/B.C", NULL},
    {'.', "Caf\xc3\xa9", ".Caf&AOk-"},
    {'/', "Caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", ".Caf&AOk-.&ZeVnLIqe-"},
    {'.', "R&D", ".R&-D"},
    {'.', "inbox", ""}, /* INBOX in any case is the root */
    {'/', "INBOX", ""},
    {'.', "INBOX.Sub", ".INBOX.Sub"},
};

START_TEST(test_maildir_folders)
{
	struct sv_store_opts o;
	sv_store_opts_init(&o);
	o.separator = maildir_names[_i].sep;
	struct sv_store *s = open_maildir(&o);
	const char *name = maildir_names[_i].name;
	char e[512];
	enum sv_status st = save(s, name, MSG, NULL, 0, e, sizeof e);
	if (!maildir_names[_i].folder) {
		ck_assert_int_eq(st, SV_FAIL);
		ck_assert_msg(strstr(e, "invalid mailbox name"), "%s", e);
		ck_assert_int_eq(count_entries(at("Maildir")), 3); /* cur new tmp */
	} else {
		ck_assert_msg(st == SV_OK, "%s: %s", name, e);
		char rel[256];
		snprintf(rel, sizeof rel, "Maildir/%s/new", maildir_names[_i].folder);
		ck_assert_msg(count_entries(at(rel)) == 1, "%s not in %s", name, rel);
		ck_assert_uint_eq(sv_dlv_maildir_count(s, name, strlen(name)), 1);
		snprintf(rel, sizeof rel, "Maildir/%s", maildir_names[_i].folder);
		ck_assert_int_eq(mode_of(at(rel)), 0700);
		/* Maildir++: a subfolder is marked, the root is not */
		snprintf(rel, sizeof rel, "Maildir/%s/maildirfolder", maildir_names[_i].folder);
		if (maildir_names[_i].folder[0]) {
			ck_assert_msg(exists(at(rel)), "no %s", rel);
			ck_assert_int_eq(size_of(at(rel)), 0);
			ck_assert_int_eq(mode_of(at(rel)), 0600);
		} else {
			ck_assert(!exists(at(rel)));
		}
	}
	s->close(s);
}
END_TEST

static const char *const refused[] = {
    "",
    ".",
    "..",
    "A..B",
    ".A",
    "A.",
    "/A",
    "A/",
    "A//B",
    "A/./B",
    "../x",
    "x/../y",
    "A\nB",
    "A\rB",
    "A\x01",
    "A\x7f",
    "A\tB",
    "\xc3\x28",     /* invalid UTF-8 */
    "A\xc2\x85",    /* C1 control NEL */
    "\xed\xa0\x80", /* a surrogate */
    "\xc0\xaf",     /* overlong '/' */
};

START_TEST(test_refused_names)
{
	const char *name = refused[_i];
	for (int layout = 0; layout < 2; layout++) {
		struct sv_store_opts o;
		sv_store_opts_init(&o);
		struct sv_store *s = layout ? open_mbox(&o) : open_maildir(&o);
		int before = count_entries(at(layout ? "mail" : "Maildir"));
		char e[512];
		ck_assert_int_eq(save(s, name, MSG, NULL, 0, e, sizeof e), SV_FAIL);
		ck_assert_msg(strstr(e, "invalid mailbox name"), "%s", e);
		ck_assert_int_eq(count_entries(at(layout ? "mail" : "Maildir")), before);
		ck_assert_int_eq(count_entries(root), layout + 1); /* nothing beside the stores */
		ck_assert(!s->exists(s, name, strlen(name)));
		s->close(s);
	}
	/* and under the separator '/' */
	struct sv_store_opts o;
	sv_store_opts_init(&o);
	o.separator = '/';
	struct sv_store *s = open_maildir(&o);
	ck_assert_int_eq(save(s, name, MSG, NULL, 0, NULL, 0), SV_FAIL);
	s->close(s);
}
END_TEST

START_TEST(test_long_names)
{
	char name[700];
	memset(name, 'a', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	struct sv_buf out = SV_BUF_INIT, err = SV_BUF_INIT;
	/* over 512 bytes */
	ck_assert_int_eq(sv_dlv_mailbox_fsname(name, 600, '.', SV_LAYOUT_MAILDIRPP, &out, &err),
	                 SV_FAIL);
	/* one level over 200 bytes once encoded */
	ck_assert_int_eq(sv_dlv_mailbox_fsname(name, 201, '.', SV_LAYOUT_MAILDIRPP, &out, &err),
	                 SV_FAIL);
	ck_assert_int_eq(sv_dlv_mailbox_fsname(name, 200, '.', SV_LAYOUT_MAILDIRPP, &out, &err),
	                 SV_OK);
	ck_assert_uint_eq(out.len, 200);
	/* mbox (fs layout) keeps dots inside levels under '/', not ".lock" */
	ck_assert_int_eq(sv_dlv_mailbox_fsname("A/b.c", 5, '/', SV_LAYOUT_FS, &out, &err), SV_OK);
	ck_assert_str_eq(out.p, "A/b.c");
	ck_assert_int_eq(sv_dlv_mailbox_fsname("A/b.lock", 8, '/', SV_LAYOUT_FS, &out, &err),
	                 SV_FAIL);
	ck_assert_int_eq(sv_dlv_mailbox_fsname("A/.b", 4, '/', SV_LAYOUT_FS, &out, &err), SV_FAIL);
	ck_assert_int_eq(sv_dlv_mailbox_fsname("A.B", 3, '.', SV_LAYOUT_FS, &out, &err), SV_OK);
	ck_assert_str_eq(out.p, "A/B");
	sv_buf_free(&out);
	sv_buf_free(&err);
	ck_assert(sv_dlv_maildir_name_valid("A.B", 3));
	ck_assert(!sv_dlv_maildir_name_valid("A..B", 4));
}
END_TEST

/* ---- modified UTF-7 (RFC 3501 §5.1.3) ---- */

static const struct {
	const char *utf8, *mutf7;
} mutf7_cases[] = {
    {"INBOX", "INBOX"},
    {"&", "&-"},
    {"R&D", "R&-D"},
    {"Caf\xc3\xa9", "Caf&AOk-"},
    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "&ZeVnLIqe-"},
    /* RFC 3501 §5.1.3's example */
    {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
     "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
    {"\xf0\x9f\x98\x80", "&2D3eAA-"}, /* U+1F600: a surrogate pair */
    {"a\xc3\xa9&\xc3\xa9z", "a&AOk-&-&AOk-z"},
    {"~", "~"},
    {" x ", " x "},
};

START_TEST(test_mutf7_round_trip)
{
	struct sv_buf enc = SV_BUF_INIT, dec = SV_BUF_INIT;
	const char *u = mutf7_cases[_i].utf8, *m = mutf7_cases[_i].mutf7;
	ck_assert(sv_dlv_mutf7_encode(u, strlen(u), &enc));
	ck_assert_str_eq(enc.p, m);
	ck_assert(sv_dlv_mutf7_decode(enc.p, enc.len, &dec));
	ck_assert_str_eq(dec.p, u);
	sv_buf_free(&enc);
	sv_buf_free(&dec);
}
END_TEST

START_TEST(test_mutf7_rejects)
{
	static const char *const bad[] = {
	    "&",          /* no end */
	    "&AOk",       /* no '-' */
	    "&AO!-",      /* not base64 */
	    "&AGE-",      /* 'a', which must be direct */
	    "&ACY-",      /* '&', which is "&-" */
	    "&AOk-&AOk-", /* two runs where the encoder writes one */
	    "&AOl-",      /* padding bits set */
	    "&AO-",       /* half a UTF-16 unit */
	    "&2D0-",      /* a lone high surrogate */
	    "&3gA-",      /* a lone low surrogate */
	    "a\x01",      /* controls are never direct */
	    "\xc3\xa9",   /* 8-bit */
	};
	struct sv_buf out = SV_BUF_INIT;
	sv_buf_puts(&out, "keep");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(!sv_dlv_mutf7_decode(bad[i], strlen(bad[i]), &out), "%s decoded",
		              bad[i]);
		ck_assert_str_eq(out.p, "keep");
	}
	ck_assert(!sv_dlv_mutf7_encode("\xff", 1, &out));
	ck_assert_str_eq(out.p, "keep");
	sv_buf_free(&out);
}
END_TEST

START_TEST(test_mutf7_on_disk)
{
	struct sv_store_opts o;
	sv_store_opts_init(&o);
	struct sv_store *s = open_maildir(&o);
	const char *name = "Entw\xc3\xbc"
	                   "rfe.\xc3\x9c"
	                   "bersicht";
	save_ok(s, name, MSG);
	ck_assert(exists(at("Maildir/.Entw&APw-rfe.&ANw-bersicht/new")));
	ck_assert(s->exists(s, name, strlen(name)));
	struct sv_buf out = SV_BUF_INIT, err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_maildir_read(s, name, strlen(name), 0, &out, NULL, &err), SV_OK);
	ck_assert_str_eq(out.p, msg);
	sv_buf_free(&out);
	sv_buf_free(&err);
	s->close(s);
}
END_TEST

/* ---- Maildir++ quota ---- */

static struct sv_store *quota_store(uint64_t bytes, uint64_t count, enum sv_quota_action a)
{
	struct sv_store_opts o;
	sv_store_opts_init(&o);
	o.quota_bytes = bytes;
	o.quota_messages = count;
	o.over_quota = a;
	return open_maildir(&o);
}

START_TEST(test_quota_under)
{
	struct sv_store *s = quota_store(1000, 0, SV_QUOTA_TEMPFAIL);
	save_ok(s, "INBOX", MSG);
	save_ok(s, "Sub", MSG);
	char *q = slurp(at("Maildir/maildirsize"));
	char want[128];
	/* made at the first delivery (a scan of the empty Maildir), then
	   one line per message */
	snprintf(want, sizeof want, "1000S\n0 0\n%zu 1\n%zu 1\n", sizeof msg - 1, sizeof msg - 1);
	ck_assert_str_eq(q, want);
	sv_free(q);
	s->close(s);

	s = quota_store(1000, 10, SV_QUOTA_TEMPFAIL);
	save_ok(s, "INBOX", MSG);
	q = slurp(at("Maildir/maildirsize"));
	/* the limit changed: rebuilt with the new first line */
	snprintf(want, sizeof want, "1000S,10C\n%zu 2\n%zu 1\n", 2 * (sizeof msg - 1),
	         sizeof msg - 1);
	ck_assert_str_eq(q, want);
	sv_free(q);
	s->close(s);
}
END_TEST

START_TEST(test_quota_over)
{
	static const struct {
		uint64_t bytes, count;
		enum sv_quota_action a;
		enum sv_status st;
		const char *text;
	} cases[] = {
	    {60, 0, SV_QUOTA_TEMPFAIL, SV_TEMPFAIL, "4.2.2 Mailbox is full"},
	    {60, 0, SV_QUOTA_REJECT, SV_LIMIT, "5.2.2 Mailbox is full"},
	    {0, 1, SV_QUOTA_TEMPFAIL, SV_TEMPFAIL, "4.2.2 Mailbox is full"},
	    {0, 1, SV_QUOTA_REJECT, SV_LIMIT, "5.2.2 Mailbox is full"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		teardown();
		setup();
		struct sv_store *s = quota_store(cases[i].bytes, cases[i].count, cases[i].a);
		save_ok(s, "INBOX", MSG); /* 37 bytes, 1 message: fits */
		char e[256];
		ck_assert_int_eq(save(s, "Sub", MSG, NULL, 0, e, sizeof e), cases[i].st);
		ck_assert_str_eq(e, cases[i].text);
		ck_assert_int_eq(count_entries(at("Maildir/new")), 1);
		ck_assert_int_eq(count_entries(at("Maildir/tmp")), 0);
		ck_assert_int_eq(count_entries(at("Maildir/.Sub/tmp")), 0);
		ck_assert_int_eq(count_entries(at("Maildir/.Sub/new")), 0);
		s->close(s);
	}
}
END_TEST

/* the path of the one file in folder (new/ or cur/), into path */
static void path_only(const char *folder, char *path, size_t cap)
{
	char name[512];
	only_file(folder, name, sizeof name);
	snprintf(path, cap, "%s/%s", folder, name);
}

static struct stat stat_only(const char *folder)
{
	char path[1024];
	path_only(folder, path, sizeof path);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return st;
}

/* the content of the one file in folder (the caller frees it) */
static char *slurp_only(const char *folder)
{
	char path[1024];
	path_only(folder, path, sizeof path);
	return slurp(path);
}

START_TEST(test_batched_copies)
{
	/* one delivery into three folders: prepared, flushed once,
	   committed, synced once; the same message is one file linked into
	   each folder, with its own name and the right size tags (_i == 1:
	   named files in tmp/, as where O_TMPFILE does not work: a copy
	   each, renamed) */
	struct sv_store_opts o;
	sv_store_opts_init(&o);
	o.named_tmp_files = _i == 1;
	const nlink_t shared = _i == 1 ? 1 : 3;
	struct sv_store *s = open_maildir(&o);
	ck_assert_ptr_nonnull(s->flush);
	ck_assert_ptr_nonnull(s->sync);
	struct sv_store_txn *t[3];
	struct sv_buf err = SV_BUF_INIT;
	const char *const seen[] = {"\\Seen"};
	s->msg_version = 7;
	ck_assert_int_eq(s->prepare(s, "INBOX", 5, MSG, NULL, 0, &t[0], &err), SV_OK);
	ck_assert_int_eq(s->prepare(s, "A", 1, MSG, seen, 1, &t[1], &err), SV_OK);
	ck_assert_int_eq(s->prepare(s, "B", 1, MSG, NULL, 0, &t[2], &err), SV_OK);
	/* nothing visible before commit; named files wait in tmp/ */
	ck_assert_int_eq(count_entries(at("Maildir/tmp")), _i == 1 ? 1 : 0);
	ck_assert_int_eq(count_entries(at("Maildir/new")), 0);
	ck_assert_int_eq(count_entries(at("Maildir/.A/cur")), 0);
	ck_assert_int_eq(s->flush(s, &err), SV_OK);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(s->commit(s, t[i], &err), SV_OK);
	ck_assert_int_eq(s->sync(s, &err), SV_OK);
	for (int i = 0; i < 3; i++)
		s->release(s, t[i]);
	struct stat a = stat_only(at("Maildir/new"));
	struct stat b = stat_only(at("Maildir/.A/cur"));
	struct stat c = stat_only(at("Maildir/.B/new"));
	ck_assert_int_eq(a.st_nlink, shared);
	ck_assert_int_eq(b.st_nlink, shared);
	ck_assert_int_eq(a.st_ino == b.st_ino && b.st_ino == c.st_ino, _i == 0);
	ck_assert_int_eq(a.st_size, (off_t)(sizeof msg - 1));
	char name[512];
	only_file(at("Maildir/.A/cur"), name, sizeof name);
	ck_assert_ptr_nonnull(strstr(name, ",S=37,W=41:2,S"));
	only_file(at("Maildir/.B/new"), name, sizeof name);
	ck_assert_ptr_nonnull(strstr(name, ",S=37,W=41"));
	ck_assert_ptr_null(strchr(name, ':'));
	ck_assert_int_eq(count_entries(at("Maildir/tmp")), 0);

	/* rolling one copy back leaves the others whole */
	ck_assert_int_eq(s->prepare(s, "C", 1, MSG, NULL, 0, &t[0], &err), SV_OK);
	ck_assert_int_eq(s->prepare(s, "D", 1, MSG, NULL, 0, &t[1], &err), SV_OK);
	s->rollback(s, t[0]);
	ck_assert_int_eq(s->flush(s, &err), SV_OK);
	ck_assert_int_eq(s->commit(s, t[1], &err), SV_OK);
	ck_assert_int_eq(s->sync(s, &err), SV_OK);
	s->release(s, t[1]);
	ck_assert_int_eq(count_entries(at("Maildir/.C/new")), 0);
	ck_assert_int_eq(count_entries(at("Maildir/.C/tmp")), 0);
	ck_assert_int_eq(stat_only(at("Maildir/.D/new")).st_size, (off_t)(sizeof msg - 1));

	/* no promise (version 0) or another version: separate files */
	static const char other[] = "From: b@example.org\nSubject: u\n\nbody\n";
	ck_assert_int_eq(sizeof other, sizeof msg);
	s->msg_version = 8;
	ck_assert_int_eq(s->prepare(s, "E", 1, other, sizeof other - 1, NULL, 0, &t[0], &err),
	                 SV_OK);
	s->msg_version = 0;
	ck_assert_int_eq(s->prepare(s, "F", 1, MSG, NULL, 0, &t[1], &err), SV_OK);
	ck_assert_int_eq(s->prepare(s, "G", 1, MSG, NULL, 0, &t[2], &err), SV_OK);
	/* commit without flush still syncs the file first */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(s->commit(s, t[i], &err), SV_OK);
	ck_assert_int_eq(s->sync(s, &err), SV_OK);
	for (int i = 0; i < 3; i++)
		s->release(s, t[i]);
	char *f = slurp_only(at("Maildir/.E/new"));
	ck_assert_str_eq(f, other);
	sv_free(f);
	ck_assert_int_eq(stat_only(at("Maildir/.E/new")).st_nlink, 1);
	ck_assert_int_eq(stat_only(at("Maildir/.F/new")).st_nlink, 1);
	ck_assert_int_eq(stat_only(at("Maildir/.G/new")).st_nlink, 1);
	sv_buf_free(&err);
	s->close(s);
}
END_TEST

START_TEST(test_stage)
{
	/* the message written before the script decided: the copies of that
	   version share it, another version is written apart, and what
	   nobody took leaves nothing behind */
	struct sv_store *s = open_maildir(NULL);
	ck_assert_ptr_nonnull(s->stage);
	struct sv_store_txn *t[3];
	struct sv_buf err = SV_BUF_INIT;
	s->stage(s, MSG, 1);
	ck_assert_int_eq(count_entries(at("Maildir/tmp")), 0); /* unnamed */
	s->msg_version = 1;
	ck_assert_int_eq(s->prepare(s, "A", 1, MSG, NULL, 0, &t[0], &err), SV_OK);
	ck_assert_int_eq(s->prepare(s, "INBOX", 5, MSG, NULL, 0, &t[1], &err), SV_OK);
	static const char other[] = "From: b@example.org\nSubject: u\n\nbody\n";
	s->msg_version = 2;
	ck_assert_int_eq(s->prepare(s, "B", 1, other, sizeof other - 1, NULL, 0, &t[2], &err),
	                 SV_OK);
	ck_assert_int_eq(s->flush(s, &err), SV_OK);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(s->commit(s, t[i], &err), SV_OK);
	ck_assert_int_eq(s->sync(s, &err), SV_OK);
	for (int i = 0; i < 3; i++)
		s->release(s, t[i]);
	struct stat a = stat_only(at("Maildir/.A/new"));
	struct stat in = stat_only(at("Maildir/new"));
	struct stat b = stat_only(at("Maildir/.B/new"));
	ck_assert(a.st_ino == in.st_ino);
	ck_assert_int_eq(a.st_nlink, 2);
	ck_assert_int_eq(b.st_nlink, 1);
	char *got = slurp_only(at("Maildir/.A/new"));
	ck_assert_str_eq(got, msg);
	sv_free(got);
	got = slurp_only(at("Maildir/.B/new"));
	ck_assert_str_eq(got, other);
	sv_free(got);
	s->close(s);

	/* staged and never filed (the script discarded it): nothing stays */
	s = open_maildir(NULL);
	s->stage(s, MSG, 1);
	s->close(s);
	ck_assert_int_eq(count_entries(at("Maildir/tmp")), 0);
	ck_assert_int_eq(count_entries(at("Maildir/new")), 1);
	/* where unnamed files do not work nothing is staged (a named file
	   could be left behind) */
	struct sv_store_opts o;
	sv_store_opts_init(&o);
	o.named_tmp_files = true;
	s = open_maildir(&o);
	s->stage(s, MSG, 1);
	ck_assert_int_eq(count_entries(at("Maildir/tmp")), 0);
	s->msg_version = 1;
	ck_assert_int_eq(s->prepare(s, "C", 1, MSG, NULL, 0, &t[0], &err), SV_OK);
	ck_assert_int_eq(count_entries(at("Maildir/.C/tmp")), 1);
	s->rollback(s, t[0]);
	ck_assert_int_eq(count_entries(at("Maildir/.C/tmp")), 0);
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

START_TEST(test_quota_pending)
{
	/* two messages of one delivery that fit alone but not together */
	struct sv_store *s = quota_store(60, 0, SV_QUOTA_TEMPFAIL);
	struct sv_store_txn *t1, *t2;
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(s->prepare(s, "A", 1, MSG, NULL, 0, &t1, &err), SV_OK);
	ck_assert_int_eq(s->prepare(s, "B", 1, MSG, NULL, 0, &t2, &err), SV_TEMPFAIL);
	ck_assert_ptr_null(t2);
	s->rollback(s, t1);
	/* rolled back: the room is free again */
	ck_assert_int_eq(s->prepare(s, "B", 1, MSG, NULL, 0, &t2, &err), SV_OK);
	ck_assert_int_eq(s->commit(s, t2, &err), SV_OK);
	s->release(s, t2);
	sv_buf_free(&err);
	s->close(s);
}
END_TEST

START_TEST(test_quota_rollback_lines)
{
	struct sv_store *s = quota_store(1000, 0, SV_QUOTA_TEMPFAIL);
	struct sv_store_txn *tx;
	struct sv_buf err = SV_BUF_INIT;
	/* rolled back before commit: no line */
	ck_assert_int_eq(s->prepare(s, "INBOX", 5, MSG, NULL, 0, &tx, &err), SV_OK);
	s->rollback(s, tx);
	char *q = slurp(at("Maildir/maildirsize"));
	ck_assert_str_eq(q, "1000S\n0 0\n");
	sv_free(q);
	/* after commit: the line and its negative */
	ck_assert_int_eq(s->prepare(s, "INBOX", 5, MSG, NULL, 0, &tx, &err), SV_OK);
	ck_assert_int_eq(s->commit(s, tx, &err), SV_OK);
	ck_assert_int_eq(count_entries(at("Maildir/new")), 1);
	s->rollback(s, tx);
	ck_assert_int_eq(count_entries(at("Maildir/new")), 0);
	q = slurp(at("Maildir/maildirsize"));
	char want[128];
	snprintf(want, sizeof want, "1000S\n0 0\n%zu 1\n-%zu -1\n", sizeof msg - 1, sizeof msg - 1);
	ck_assert_str_eq(q, want);
	sv_free(q);
	sv_buf_free(&err);
	s->close(s);
}
END_TEST

START_TEST(test_quota_recalc)
{
	/* mail delivered before any quota: the first delivery with one
	   scans every folder */
	struct sv_store *s = quota_store(0, 0, SV_QUOTA_TEMPFAIL);
	save_ok(s, "INBOX", MSG);
	save_ok(s, "A.B", MSG);
	ck_assert(!exists(at("Maildir/maildirsize")));
	s->close(s);
	s = quota_store(100000, 0, SV_QUOTA_TEMPFAIL);
	save_ok(s, "INBOX", MSG);
	char *q = slurp(at("Maildir/maildirsize"));
	char want[128];
	snprintf(want, sizeof want, "100000S\n%zu 2\n%zu 1\n", 2 * (sizeof msg - 1),
	         sizeof msg - 1);
	ck_assert_str_eq(q, want);
	sv_free(q);

	/* a file over 5120 bytes is rebuilt from the folders */
	struct sv_buf big = SV_BUF_INIT;
	sv_buf_puts(&big, "100000S\n");
	while (big.len <= 5120)
		sv_buf_puts(&big, "1000 1\n");
	spit(at("Maildir/maildirsize"), big.p);
	sv_buf_free(&big);
	save_ok(s, "INBOX", MSG);
	q = slurp(at("Maildir/maildirsize"));
	snprintf(want, sizeof want, "100000S\n%zu 3\n%zu 1\n", 3 * (sizeof msg - 1),
	         sizeof msg - 1);
	ck_assert_str_eq(q, want);
	sv_free(q);

	/* a damaged line makes it rebuilt too */
	spit(at("Maildir/maildirsize"), "100000S\n5 x\n");
	save_ok(s, "INBOX", MSG);
	q = slurp(at("Maildir/maildirsize"));
	snprintf(want, sizeof want, "100000S\n%zu 4\n%zu 1\n", 4 * (sizeof msg - 1),
	         sizeof msg - 1);
	ck_assert_str_eq(q, want);
	sv_free(q);
	s->close(s);
}
END_TEST

START_TEST(test_quota_stale_over)
{
	/* the file says full (mail was deleted since): believed while it is
	   young, counted again once it is older than 15 minutes */
	struct sv_store *s = quota_store(1000, 0, SV_QUOTA_TEMPFAIL);
	spit(at("Maildir/maildirsize"), "1000S\n990 5\n");
	char e[128];
	ck_assert_int_eq(save(s, "INBOX", MSG, NULL, 0, e, sizeof e), SV_TEMPFAIL);
	ck_assert_str_eq(e, "4.2.2 Mailbox is full");
	struct timeval old[2];
	gettimeofday(&old[0], NULL);
	old[0].tv_sec -= 16 * 60;
	old[1] = old[0];
	ck_assert_int_eq(utimes(at("Maildir/maildirsize"), old), 0);
	save_ok(s, "INBOX", MSG);
	char *q = slurp(at("Maildir/maildirsize"));
	char want[64];
	snprintf(want, sizeof want, "1000S\n0 0\n%zu 1\n", sizeof msg - 1);
	ck_assert_str_eq(q, want);
	sv_free(q);
	s->close(s);
}
END_TEST

START_TEST(test_quota_from_file)
{
	/* no limit configured: the one in maildirsize counts */
	struct sv_store *s = quota_store(0, 0, SV_QUOTA_TEMPFAIL);
	spit(at("Maildir/maildirsize"), "60S\n0 0\n");
	save_ok(s, "INBOX", MSG);
	ck_assert_int_eq(save(s, "INBOX", MSG, NULL, 0, NULL, 0), SV_TEMPFAIL);
	char *q = slurp(at("Maildir/maildirsize"));
	char want[64];
	snprintf(want, sizeof want, "60S\n0 0\n%zu 1\n", sizeof msg - 1);
	ck_assert_str_eq(q, want);
	sv_free(q);
	/* a file without a limit limits nothing */
	spit(at("Maildir/maildirsize"), "\n999999 99\n");
	save_ok(s, "INBOX", MSG);
	s->close(s);
}
END_TEST

/* ---- mbox ---- */

START_TEST(test_mbox_from_line)
{
	struct sv_store *s = open_mbox(NULL);
	s->env_sender = "alice@example.org";
	s->env_time = 1700000000; /* Tue Nov 14 22:13:20 2023 UTC */
	save_ok(s, "INBOX", MSG);
	s->env_sender = "";
	s->env_time = 1700000000 + 86400 * 3 + 5;
	save_ok(s, "INBOX", MSG);
	s->env_sender = "odd sender\t@x";
	save_ok(s, "INBOX", MSG);
	char *f = slurp(at("mail/inbox"));
	struct sv_buf want = SV_BUF_INIT;
	sv_buf_printf(&want, "From alice@example.org Tue Nov 14 22:13:20 2023\n%s\n", msg);
	sv_buf_printf(&want, "From MAILER-DAEMON Fri Nov 17 22:13:25 2023\n%s\n", msg);
	sv_buf_printf(&want, "From odd_sender_@x Fri Nov 17 22:13:25 2023\n%s\n", msg);
	ck_assert_str_eq(f, want.p);
	sv_free(f);
	sv_buf_free(&want);
	ck_assert_int_eq(mode_of(at("mail/inbox")), 0600);
	ck_assert_int_eq(mode_of(at("mail")), 0700);
	ck_assert_uint_eq(sv_dlv_mbox_count(s, "INBOX", 5), 3);
	struct sv_buf out = SV_BUF_INIT, from = SV_BUF_INIT, err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_mbox_read(s, "INBOX", 5, 1, &out, NULL, &from, &err), SV_OK);
	ck_assert_str_eq(out.p, msg);
	ck_assert_str_eq(from.p, "MAILER-DAEMON Fri Nov 17 22:13:25 2023");
	ck_assert_int_eq(sv_dlv_mbox_read(s, "INBOX", 5, 3, &out, NULL, NULL, &err), SV_FAIL);
	sv_buf_free(&out);
	sv_buf_free(&from);
	sv_buf_free(&err);
	s->close(s);
}
END_TEST

START_TEST(test_mbox_escaping)
{
	static const char m1[] = "From someone@example.org Mon Jan  1 00:00:00 2024\n"
	                         "Subject: escapes\n"
	                         "\n"
	                         "From here\n"
	                         ">From there\n"
	                         ">>From everywhere\n"
	                         "From\n"
	                         "Fromage\n"
	                         " From indented\n"
	                         ">>>>\n"
	                         "From ";
	static const char m2[] = "Subject: second\n\nFrom the second\n\n\n";
	struct sv_store *s = open_mbox(NULL);
	save_ok(s, "Lists.x", m1, sizeof m1 - 1);
	save_ok(s, "Lists.x", m2, sizeof m2 - 1);
	char *f = slurp(at("mail/Lists/x"));
	ck_assert_ptr_nonnull(strstr(f, "\n>From someone@example.org Mon Jan  1"));
	ck_assert_ptr_nonnull(strstr(f, "\n>From here\n>>From there\n>>>From everywhere\nFrom\n"
	                                "Fromage\n From indented\n>>>>\n>From \n\nFrom "));
	ck_assert_ptr_nonnull(strstr(f, "\n>From the second\n\n\n\n"));
	sv_free(f);
	ck_assert_uint_eq(sv_dlv_mbox_count(s, "Lists.x", 7), 2);
	struct sv_buf out = SV_BUF_INIT, err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_mbox_read(s, "Lists/x", 7, 0, &out, NULL, NULL, &err), SV_OK);
	/* the last line had no newline: it gets one */
	ck_assert_uint_eq(out.len, sizeof m1);
	ck_assert_int_eq(memcmp(out.p, m1, sizeof m1 - 1), 0);
	sv_buf_reset(&out);
	ck_assert_int_eq(sv_dlv_mbox_read(s, "Lists.x", 7, 1, &out, NULL, NULL, &err), SV_OK);
	ck_assert_str_eq(out.p, m2);
	sv_buf_free(&out);
	sv_buf_free(&err);
	s->close(s);
}
END_TEST

START_TEST(test_mbox_flags)
{
	static const char m[] = "From: a@example.org\n"
	                        "Status: RO\n"
	                        "X-Status: F\n"
	                        "Content-Length: 3\n"
	                        "X-Keywords: $Forged\n"
	                        " continued\n"
	                        "Subject: flags\n"
	                        "\n"
	                        "Status: R in the body stays\n";
	static const char clean[] = "From: a@example.org\n"
	                            "Subject: flags\n"
	                            "\n"
	                            "Status: R in the body stays\n";
	const char *flags[] = {"\\Deleted",  "\\Seen",  "$Label1", "\\Flagged",
	                       "\\Answered", "\\Draft", "bad kw",  "Work"};
	struct sv_store *s = open_mbox(NULL);
	ck_assert_int_eq(save(s, "INBOX", m, sizeof m - 1, flags, 8, NULL, 0), SV_OK);
	ck_assert_int_eq(save(s, "INBOX", m, sizeof m - 1, NULL, 0, NULL, 0), SV_OK);
	char *f = slurp(at("mail/inbox"));
	ck_assert_ptr_nonnull(strstr(f, "Subject: flags\nStatus: R\nX-Status: AFTD\n"
	                                "X-Keywords: $Label1 Work\n\nStatus: R in the body"));
	ck_assert_ptr_null(strstr(f, "Content-Length"));
	ck_assert_ptr_null(strstr(f, "$Forged"));
	ck_assert_ptr_null(strstr(f, "RO"));
	sv_free(f);
	struct sv_buf out = SV_BUF_INIT, fl = SV_BUF_INIT, err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_mbox_read(s, "INBOX", 5, 0, &out, &fl, NULL, &err), SV_OK);
	ck_assert_str_eq(out.p, clean);
	ck_assert_str_eq(fl.p, "\\Draft \\Flagged \\Answered \\Seen \\Deleted $Label1 Work");
	sv_buf_reset(&out);
	sv_buf_reset(&fl);
	/* no flags, no fields: the forged ones are gone all the same */
	ck_assert_int_eq(sv_dlv_mbox_read(s, "INBOX", 5, 1, &out, &fl, NULL, &err), SV_OK);
	ck_assert_str_eq(out.p, clean);
	ck_assert_uint_eq(fl.len, 0);
	sv_buf_free(&out);
	sv_buf_free(&fl);
	sv_buf_free(&err);
	s->close(s);
}
END_TEST

START_TEST(test_mbox_folders)
{
	struct sv_store_opts o;
	sv_store_opts_init(&o);
	struct sv_store *s = open_mbox(&o);
	save_ok(s, "A.B", MSG);
	ck_assert_int_eq(mode_of(at("mail/A")), 0700);
	ck_assert_int_eq(mode_of(at("mail/A/B")), 0600);
	save_ok(s, "Caf\xc3\xa9", MSG);
	ck_assert(exists(at("mail/Caf&AOk-")));
	/* a mailbox that is a file cannot hold another */
	ck_assert_int_eq(save(s, "A.B.C", MSG, NULL, 0, NULL, 0), SV_FAIL);
	s->close(s);

	o.separator = '/';
	s = open_mbox(&o);
	save_ok(s, "A/b.c", MSG);
	ck_assert(exists(at("mail/A/b.c")));
	ck_assert(s->exists(s, "A/b.c", 5));
	ck_assert(!s->exists(s, "A/b", 3));
	char e[256];
	ck_assert_int_eq(save(s, "A/b.lock", MSG, NULL, 0, e, sizeof e), SV_FAIL);
	s->close(s);

	o.autocreate = false;
	s = open_mbox(&o);
	ck_assert_int_eq(save(s, "New", MSG, NULL, 0, e, sizeof e), SV_FAIL);
	ck_assert_msg(strstr(e, "does not exist"), "%s", e);
	ck_assert(!exists(at("mail/New")));
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(s->create(s, "New", 3, &err), SV_OK);
	save_ok(s, "New", MSG);
	save_ok(s, "INBOX", MSG); /* INBOX is made whatever autocreate says */
	sv_buf_free(&err);
	s->close(s);
}
END_TEST

START_TEST(test_mbox_rollback)
{
	struct sv_store *s = open_mbox(NULL);
	save_ok(s, "INBOX", MSG);
	char *before = slurp(at("mail/inbox"));
	off_t size = size_of(at("mail/inbox"));
	struct sv_store_txn *tx;
	struct sv_buf err = SV_BUF_INIT;

	/* before commit: truncated back, unlocked */
	ck_assert_int_eq(s->prepare(s, "INBOX", 5, MSG, NULL, 0, &tx, &err), SV_OK);
	ck_assert_int_gt(size_of(at("mail/inbox")), size);
	ck_assert(exists(at("mail/inbox.lock")));
	s->rollback(s, tx);
	ck_assert_int_eq(size_of(at("mail/inbox")), size);
	ck_assert(!exists(at("mail/inbox.lock")));

	/* after commit: locked again and truncated, the file ending with it */
	ck_assert_int_eq(s->prepare(s, "INBOX", 5, MSG, NULL, 0, &tx, &err), SV_OK);
	ck_assert_int_eq(s->commit(s, tx, &err), SV_OK);
	ck_assert(!exists(at("mail/inbox.lock")));
	s->rollback(s, tx);
	char *after = slurp(at("mail/inbox"));
	ck_assert_str_eq(after, before);
	sv_free(after);

	/* after commit, something else appended since: left alone */
	ck_assert_int_eq(s->prepare(s, "INBOX", 5, MSG, NULL, 0, &tx, &err), SV_OK);
	ck_assert_int_eq(s->commit(s, tx, &err), SV_OK);
	struct sv_store *other = open_mbox(NULL);
	save_ok(other, "INBOX", MSG);
	other->close(other);
	s->rollback(s, tx);
	ck_assert_uint_eq(sv_dlv_mbox_count(s, "INBOX", 5), 3);

	/* two messages of one delivery in one file, rolled back in prepare
	   order: the second moves down, then goes too */
	truncate(at("mail/inbox"), size);
	struct sv_store_txn *t2;
	static const char m2[] = "Subject: second\n\nsecond\n";
	ck_assert_int_eq(s->prepare(s, "INBOX", 5, MSG, NULL, 0, &tx, &err), SV_OK);
	ck_assert_int_eq(s->prepare(s, "inbox", 5, m2, sizeof m2 - 1, NULL, 0, &t2, &err), SV_OK);
	s->rollback(s, tx);
	ck_assert(exists(at("mail/inbox.lock"))); /* t2 still holds it */
	ck_assert_uint_eq(sv_dlv_mbox_count(s, "INBOX", 5), 2);
	struct sv_buf out = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_mbox_read(s, "INBOX", 5, 1, &out, NULL, NULL, &err), SV_OK);
	ck_assert_str_eq(out.p, m2);
	ck_assert_int_eq(s->commit(s, t2, &err), SV_OK);
	ck_assert(!exists(at("mail/inbox.lock")));
	s->rollback(s, t2);
	after = slurp(at("mail/inbox"));
	ck_assert_str_eq(after, before);
	sv_free(after);
	sv_free(before);
	sv_buf_free(&out);
	sv_buf_free(&err);
	s->close(s);
}
END_TEST

START_TEST(test_mbox_foreign_tail)
{
	/* a file another program left without the closing blank line */
	mkdir(at("mail"), 0700);
	spit(at("mail/inbox"), "From x Mon Jan  1 00:00:00 2024\nSubject: old\n\nno newline");
	struct sv_store *s = open_mbox(NULL);
	save_ok(s, "INBOX", MSG);
	ck_assert_uint_eq(sv_dlv_mbox_count(s, "INBOX", 5), 2);
	struct sv_buf out = SV_BUF_INIT, err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_mbox_read(s, "INBOX", 5, 1, &out, NULL, NULL, &err), SV_OK);
	ck_assert_str_eq(out.p, msg);
	sv_buf_free(&out);
	sv_buf_free(&err);
	s->close(s);
}
END_TEST

#define WRITERS 20

START_TEST(test_mbox_concurrent)
{
	struct sv_store *probe = open_mbox(NULL); /* makes the folder */
	probe->close(probe);
	pid_t kids[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0) {
			struct sv_store *s = NULL;
			struct sv_buf err = SV_BUF_INIT, m = SV_BUF_INIT;
			if (sv_dlv_mbox_open(at("mail"), at("mail/inbox"), NULL, &s, &err) != SV_OK)
				_exit(2);
			sv_buf_printf(&m, "Subject: writer %d\n\nFrom writer %d\n", i, i);
			for (int k = 0; k < 200; k++)
				sv_buf_printf(&m, "line %d of writer %d\n", k, i);
			s->env_sender = "w@example.org";
			enum sv_status st =
			    sv_dlv_store_save(s, "INBOX", 5, m.p, m.len, NULL, 0, &err);
			_exit(st == SV_OK ? 0 : 1);
		}
	}
	for (int i = 0; i < WRITERS; i++) {
		int status;
		ck_assert_int_eq(waitpid(kids[i], &status, 0), kids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	struct sv_store *s = open_mbox(NULL);
	ck_assert_uint_eq(sv_dlv_mbox_count(s, "INBOX", 5), WRITERS);
	bool seen[WRITERS] = {false};
	for (size_t n = 0; n < WRITERS; n++) {
		struct sv_buf out = SV_BUF_INIT, err = SV_BUF_INIT, want = SV_BUF_INIT;
		ck_assert_int_eq(sv_dlv_mbox_read(s, "INBOX", 5, n, &out, NULL, NULL, &err), SV_OK);
		int i = -1;
		ck_assert_int_eq(sscanf(out.p, "Subject: writer %d", &i), 1);
		ck_assert(i >= 0 && i < WRITERS && !seen[i]);
		seen[i] = true;
		sv_buf_printf(&want, "Subject: writer %d\n\nFrom writer %d\n", i, i);
		for (int k = 0; k < 200; k++)
			sv_buf_printf(&want, "line %d of writer %d\n", k, i);
		ck_assert_str_eq(out.p, want.p);
		sv_buf_free(&out);
		sv_buf_free(&err);
		sv_buf_free(&want);
	}
	ck_assert(!exists(at("mail/inbox.lock")));
	s->close(s);
}
END_TEST

START_TEST(test_mbox_stale_dotlock)
{
	struct sv_store_opts o;
	sv_store_opts_init(&o);
	o.lock_timeout = 2;
	struct sv_store *s = open_mbox(&o);
	spit(at("mail/inbox.lock"), "99999\n");
	struct timeval old[2];
	gettimeofday(&old[0], NULL);
	old[0].tv_sec -= 60;
	old[1] = old[0];
	ck_assert_int_eq(utimes(at("mail/inbox.lock"), old), 0);
	time_t t0 = time(NULL);
	save_ok(s, "INBOX", MSG);
	ck_assert_int_le(time(NULL) - t0, 1); /* broken at once, not waited for */
	ck_assert(!exists(at("mail/inbox.lock")));
	ck_assert_uint_eq(sv_dlv_mbox_count(s, "INBOX", 5), 1);
	s->close(s);
}
END_TEST

static double elapsed_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

START_TEST(test_mbox_held_lock)
{
	struct sv_store_opts o;
	sv_store_opts_init(&o);
	o.lock_timeout = 1;
	struct sv_store *s = open_mbox(&o);
	save_ok(s, "INBOX", MSG);
	off_t size = size_of(at("mail/inbox"));

	/* another process holds the fcntl lock */
	int ready[2];
	ck_assert_int_eq(pipe(ready), 0);
	pid_t kid = fork();
	ck_assert_int_ge(kid, 0);
	if (kid == 0) {
		int fd = open(at("mail/inbox"), O_RDWR);
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		if (fd < 0 || fcntl(fd, F_SETLKW, &fl) != 0)
			_exit(1);
		ssize_t w = write(ready[1], "x", 1);
		(void)w;
		pause();
		_exit(0);
	}
	char c;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char e[256];
	ck_assert_int_eq(save(s, "INBOX", MSG, NULL, 0, e, sizeof e), SV_TEMPFAIL);
	double waited = elapsed_since(&t0);
	ck_assert_msg(strstr(e, "4.2.0 mailbox locked"), "%s", e);
	ck_assert_msg(waited >= 0.9 && waited < 5, "waited %.2fs", waited);
	ck_assert_int_eq(size_of(at("mail/inbox")), size);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	close(ready[0]);
	close(ready[1]);

	/* a dotlock that is not stale (fresh: its mtime is ahead) */
	spit(at("mail/inbox.lock"), "1\n");
	struct timeval ahead[2];
	gettimeofday(&ahead[0], NULL);
	ahead[0].tv_sec += 60;
	ahead[1] = ahead[0];
	ck_assert_int_eq(utimes(at("mail/inbox.lock"), ahead), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(save(s, "INBOX", MSG, NULL, 0, e, sizeof e), SV_TEMPFAIL);
	waited = elapsed_since(&t0);
	ck_assert_msg(strstr(e, "4.2.0 mailbox locked"), "%s", e);
	ck_assert_msg(waited >= 0.9 && waited < 5, "waited %.2fs", waited);
	ck_assert(exists(at("mail/inbox.lock"))); /* not ours to remove */
	ck_assert_int_eq(size_of(at("mail/inbox")), size);

	/* and once it is gone, delivery goes on */
	unlink(at("mail/inbox.lock"));
	save_ok(s, "INBOX", MSG);
	s->close(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_opts_defaults);
	tcase_add_test(tc, test_locations);
	tcase_add_test(tc, test_unique_names);
	tcase_add_loop_test(tc, test_maildir_folders, 0,
	                    sizeof maildir_names / sizeof maildir_names[0]);
	tcase_add_loop_test(tc, test_refused_names, 0, sizeof refused / sizeof refused[0]);
	tcase_add_test(tc, test_long_names);
	tcase_add_loop_test(tc, test_mutf7_round_trip, 0,
	                    sizeof mutf7_cases / sizeof mutf7_cases[0]);
	tcase_add_test(tc, test_mutf7_rejects);
	tcase_add_test(tc, test_mutf7_on_disk);
	tcase_add_test(tc, test_quota_under);
	tcase_add_test(tc, test_quota_over);
	tcase_add_loop_test(tc, test_batched_copies, 0, 2);
	tcase_add_test(tc, test_stage);
	tcase_add_test(tc, test_quota_pending);
	tcase_add_test(tc, test_quota_rollback_lines);
	tcase_add_test(tc, test_quota_recalc);
	tcase_add_test(tc, test_quota_stale_over);
	tcase_add_test(tc, test_quota_from_file);
	tcase_add_test(tc, test_mbox_from_line);
	tcase_add_test(tc, test_mbox_escaping);
	tcase_add_test(tc, test_mbox_flags);
	tcase_add_test(tc, test_mbox_folders);
	tcase_add_test(tc, test_mbox_rollback);
	tcase_add_test(tc, test_mbox_foreign_tail);
	tcase_add_test(tc, test_mbox_concurrent);
	tcase_add_test(tc, test_mbox_stale_dotlock);
	tcase_add_test(tc, test_mbox_held_lock);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
