/*
 * check_config.c: sift.conf (src/delivery/config.c, sift.conf(5)): the
 * defaults, every kind of value, engine settings by key and alias, the
 * layers (sift.conf, the per-user file, -o), every error with its exact
 * "path:line:" message, missing versus unreadable files, bounds, path
 * expansion, and that the man page and the example file name every key.
 */
#include <config.h>

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "delivery/config.h"
#include "lib/alloc.h"

static char root[64];
static char path[128]; /* root/c.conf, the file most tests write */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	chmod(p, 0700);
	return remove(p);
}

static void setup(void)
{
	snprintf(root, sizeof root, "/tmp/check_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(path, sizeof path, "%s/c.conf", root);
}

static void teardown(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_bytes(const char *p, const char *data, size_t len)
{
	FILE *f = fopen(p, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void write_file(const char *p, const char *text)
{
	write_bytes(p, text, strlen(text));
}

/* A fresh configuration and settings. */
struct fx {
	struct sv_conf c;
	struct sv_settings s;
	struct sv_buf err;
};

static void fx_init(struct fx *f)
{
	sv_conf_init(&f->c);
	sv_settings_init(&f->s);
	f->err = (struct sv_buf)SV_BUF_INIT;
}

static void fx_free(struct fx *f)
{
	sv_conf_free(&f->c);
	sv_settings_free(&f->s);
	sv_buf_free(&f->err);
}

static const char *errs(struct fx *f)
{
	return f->err.p ? f->err.p : "";
}

/* Load text as the file at path. */
static enum sv_status load_text(struct fx *f, const char *text)
{
	write_file(path, text);
	sv_buf_reset(&f->err);
	return sv_conf_load(&f->c, &f->s, path, true, &f->err);
}

/* Set one key as -o does; the reason, or "" when accepted. */
static const char *set(struct fx *f, const char *key, const char *value)
{
	sv_buf_reset(&f->err);
	bool ok = sv_conf_set(&f->c, &f->s, key, value, &f->err);
	ck_assert_msg(ok == (f->err.len == 0), "%s=%s: ok %d but err '%s'", key, value, ok,
	              errs(f));
	return errs(f);
}

START_TEST(test_defaults)
{
	struct fx f;
	fx_init(&f);
	ck_assert_str_eq(f.c.mail_location, "maildir:~/Maildir");
	ck_assert(f.c.store.autocreate);
	ck_assert_int_eq(f.c.store.separator, '.');
	ck_assert_uint_eq(f.c.store.quota_bytes, 0);
	ck_assert_uint_eq(f.c.store.quota_messages, 0);
	ck_assert_int_eq(f.c.store.over_quota, SV_QUOTA_TEMPFAIL);
	ck_assert_uint_eq(f.c.store.lock_timeout, 300);
	ck_assert_ptr_null(f.c.store.hostname);
	ck_assert_str_eq(f.c.sieve_dir, "~/sieve");
	ck_assert_str_eq(f.c.sieve_active, "~/.sieve");
	ck_assert(!f.c.sieve_active_set);
	ck_assert_str_eq(f.c.sieve_before, "");
	ck_assert_str_eq(f.c.sieve_after, "");
	ck_assert_str_eq(f.c.sieve_log, "");
	ck_assert_str_eq(f.c.state_dir, "~/.sift");
	ck_assert_str_eq(f.c.user_config, "");
	ck_assert_str_eq(f.c.submit.sendmail, "/usr/sbin/sendmail");
	ck_assert_ptr_null(f.c.submit.relay);
	ck_assert_int_eq(f.c.submit.starttls, SV_STARTTLS_MAY);
	ck_assert_ptr_null(f.c.submit.tls_ca);
	ck_assert_ptr_null(f.c.submit.helo);
	ck_assert_uint_eq(f.c.submit.timeout, 300);
	ck_assert_str_eq(f.c.postmaster, "");
	ck_assert_int_eq(f.c.log, SV_CONF_LOG_SYSLOG);
	ck_assert_int_eq(f.c.syslog_facility, LOG_MAIL);
	ck_assert(!f.c.debug);
	fx_free(&f);
}
END_TEST

START_TEST(test_booleans)
{
	static const struct {
		const char *v;
		bool ok, value;
	} cases[] = {
	    {"yes", true, true},    {"no", true, false},     {"true", true, true},
	    {"false", true, false}, {"on", true, true},      {"off", true, false},
	    {"1", true, true},      {"0", true, false},      {"YES", true, true},
	    {"Off", true, false},   {"maybe", false, false}, {"", false, false},
	    {"2", false, false},    {"yess", false, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct fx f;
		fx_init(&f);
		f.c.debug = !cases[i].value;
		const char *e = set(&f, "log-debug", cases[i].v);
		if (cases[i].ok) {
			ck_assert_msg(!*e, "'%s': %s", cases[i].v, e);
			ck_assert_msg(f.c.debug == cases[i].value, "'%s'", cases[i].v);
		} else if (*cases[i].v) {
			char want[160];
			snprintf(want, sizeof want,
			         "log-debug: '%s' is not yes, no, true, false, on, off, 1 or 0",
			         cases[i].v);
			ck_assert_str_eq(e, want);
		} else {
			ck_assert_str_eq(e, "log-debug: the value must not be empty");
		}
		fx_free(&f);
	}
	struct fx f;
	fx_init(&f);
	ck_assert_str_eq(set(&f, "mailbox-autocreate", "off"), "");
	ck_assert(!f.c.store.autocreate);
	fx_free(&f);
}
END_TEST

START_TEST(test_numbers)
{
	struct fx f;
	fx_init(&f);
	ck_assert_str_eq(set(&f, "quota-bytes", "10K"), "");
	ck_assert_uint_eq(f.c.store.quota_bytes, 10240);
	ck_assert_str_eq(set(&f, "quota-bytes", "2m"), "");
	ck_assert_uint_eq(f.c.store.quota_bytes, 2u << 20);
	ck_assert_str_eq(set(&f, "quota-bytes", "3GB"), "");
	ck_assert_uint_eq(f.c.store.quota_bytes, 3ull << 30);
	ck_assert_str_eq(set(&f, "quota-bytes", "12345"), "");
	ck_assert_uint_eq(f.c.store.quota_bytes, 12345);
	ck_assert_str_eq(set(&f, "quota-bytes", "1T"),
	                 "quota-bytes: '1T' is not a size (bytes, or a number with K, M or G)");
	ck_assert_str_eq(set(&f, "quota-bytes", "-1"),
	                 "quota-bytes: '-1' is not a size (bytes, or a number with K, M or G)");
	ck_assert_str_eq(set(&f, "quota-bytes", "99999999999999999999"),
	                 "quota-bytes: '99999999999999999999' is not a size (bytes, or a number "
	                 "with K, M or G)");
	ck_assert_str_eq(set(&f, "quota-bytes", "17179869184G"),
	                 "quota-bytes: '17179869184G' is not a size (bytes, or a number with K, M "
	                 "or G)");
	ck_assert_uint_eq(f.c.store.quota_bytes, 12345); /* a refused value changes nothing */
	ck_assert_str_eq(set(&f, "quota-messages", "5000"), "");
	ck_assert_uint_eq(f.c.store.quota_messages, 5000);
	ck_assert_str_eq(set(&f, "quota-messages", "5 000"),
	                 "quota-messages: '5 000' is not a number");
	ck_assert_str_eq(set(&f, "lock-timeout", "2m"), "");
	ck_assert_uint_eq(f.c.store.lock_timeout, 120);
	ck_assert_str_eq(set(&f, "lock-timeout", "0"), "");
	ck_assert_uint_eq(f.c.store.lock_timeout, 0);
	ck_assert_str_eq(set(&f, "lock-timeout", "1h"), "");
	ck_assert_uint_eq(f.c.store.lock_timeout, 3600);
	ck_assert_str_eq(set(&f, "lock-timeout", "3601"), "lock-timeout: 3601 is outside 0..3600");
	ck_assert_str_eq(set(&f, "lock-timeout", "1d"), "lock-timeout: 86400 is outside 0..3600");
	ck_assert_str_eq(set(&f, "lock-timeout", "5x"),
	                 "lock-timeout: '5x' is not a duration (seconds, or a number with s, m, h "
	                 "or d)");
	ck_assert_str_eq(set(&f, "smtp-timeout", "45s"), "");
	ck_assert_uint_eq(f.c.submit.timeout, 45);
	ck_assert_str_eq(set(&f, "smtp-timeout", "0"), "smtp-timeout: 0 is outside 1..3600");
	ck_assert_uint_eq(f.c.submit.timeout, 45);
	fx_free(&f);
}
END_TEST

START_TEST(test_choices)
{
	struct fx f;
	fx_init(&f);
	ck_assert_str_eq(set(&f, "mailbox-separator", "/"), "");
	ck_assert_int_eq(f.c.store.separator, '/');
	ck_assert_str_eq(set(&f, "mailbox-separator", "."), "");
	ck_assert_int_eq(f.c.store.separator, '.');
	ck_assert_str_eq(set(&f, "mailbox-separator", ":"),
	                 "mailbox-separator: ':' is not one of ., /");
	ck_assert_str_eq(set(&f, "quota-exceeded", "reject"), "");
	ck_assert_int_eq(f.c.store.over_quota, SV_QUOTA_REJECT);
	ck_assert_str_eq(set(&f, "quota-exceeded", "bounce"),
	                 "quota-exceeded: 'bounce' is not one of tempfail, reject");
	ck_assert_str_eq(set(&f, "smtp-starttls", "required"), "");
	ck_assert_int_eq(f.c.submit.starttls, SV_STARTTLS_REQUIRED);
	ck_assert_str_eq(set(&f, "smtp-starttls", "NO"), "");
	ck_assert_int_eq(f.c.submit.starttls, SV_STARTTLS_NO);
	ck_assert_str_eq(set(&f, "smtp-starttls", "yes"),
	                 "smtp-starttls: 'yes' is not one of no, may, required");
	ck_assert_str_eq(set(&f, "log", "none"), "");
	ck_assert_int_eq(f.c.log, SV_CONF_LOG_NONE);
	ck_assert_str_eq(set(&f, "log", "file"), "log: 'file' is not one of syslog, none");
	ck_assert_str_eq(set(&f, "syslog-facility", "local3"), "");
	ck_assert_int_eq(f.c.syslog_facility, LOG_LOCAL3);
	ck_assert_str_eq(set(&f, "syslog-facility", "daemon"), "");
	ck_assert_int_eq(f.c.syslog_facility, LOG_DAEMON);
	ck_assert_str_eq(set(&f, "syslog-facility", "local8"),
	                 "syslog-facility: 'local8' is not one of mail, user, daemon, local0, "
	                 "local1, local2, local3, local4, local5, local6, local7");
	ck_assert_int_eq(f.c.syslog_facility, LOG_DAEMON);
	fx_free(&f);
}
END_TEST

START_TEST(test_strings)
{
	struct fx f;
	fx_init(&f);
	/* submission: the option struct points at the owned copies */
	ck_assert_str_eq(set(&f, "sendmail", "/usr/lib/sendmail"), "");
	ck_assert_str_eq(f.c.submit.sendmail, "/usr/lib/sendmail");
	ck_assert_str_eq(set(&f, "sendmail", "sendmail"), "sendmail: not an absolute path");
	ck_assert_str_eq(set(&f, "sendmail", ""), "sendmail: the value must not be empty");
	ck_assert_str_eq(f.c.submit.sendmail, "/usr/lib/sendmail");
	static const char *const relays_ok[] = {"mx.example.org", "mx.example.org:587",
	                                        "192.0.2.1:25", "[2001:db8::1]",
	                                        "[2001:db8::1]:2525"};
	for (size_t i = 0; i < sizeof relays_ok / sizeof *relays_ok; i++) {
		ck_assert_str_eq(set(&f, "smtp-relay", relays_ok[i]), "");
		ck_assert_str_eq(f.c.submit.relay, relays_ok[i]);
	}
	ck_assert_str_eq(set(&f, "smtp-relay", "mx:0"),
	                 "smtp-relay: the port is not a number in 1..65535");
	ck_assert_str_eq(set(&f, "smtp-relay", "mx:65536"),
	                 "smtp-relay: the port is not a number in 1..65535");
	ck_assert_str_eq(set(&f, "smtp-relay", "mx:25k"),
	                 "smtp-relay: the port is not a number in 1..65535");
	ck_assert_str_eq(set(&f, "smtp-relay", "mx:"),
	                 "smtp-relay: the port is not a number in 1..65535");
	ck_assert_str_eq(set(&f, "smtp-relay", "2001:db8::1"),
	                 "smtp-relay: an IPv6 address goes in brackets: [address]:port");
	ck_assert_str_eq(set(&f, "smtp-relay", ":25"), "smtp-relay: no host before the port");
	ck_assert_str_eq(set(&f, "smtp-relay", "[::1"),
	                 "smtp-relay: expected [address] or [address]:port");
	ck_assert_str_eq(set(&f, "smtp-relay", "mx example"), "smtp-relay: expected host[:port]");
	ck_assert_str_eq(set(&f, "smtp-relay", ""), "");
	ck_assert_ptr_null(f.c.submit.relay); /* "": sendmail */
	ck_assert_str_eq(set(&f, "smtp-tls-ca", "/etc/ssl/ca.pem"), "");
	ck_assert_str_eq(f.c.submit.tls_ca, "/etc/ssl/ca.pem");
	ck_assert_str_eq(set(&f, "smtp-tls-ca", "ca.pem"), "smtp-tls-ca: not an absolute path");
	ck_assert_str_eq(set(&f, "smtp-helo", "mail.example.org"), "");
	ck_assert_str_eq(f.c.submit.helo, "mail.example.org");
	ck_assert_str_eq(set(&f, "smtp-helo", "a b"), "smtp-helo: not a host name");
	ck_assert_str_eq(set(&f, "smtp-helo", ""), "");
	ck_assert_ptr_null(f.c.submit.helo);
	ck_assert_str_eq(set(&f, "postmaster-address", "postmaster@example.org"), "");
	ck_assert_str_eq(f.c.postmaster, "postmaster@example.org");
	ck_assert_str_eq(set(&f, "postmaster-address", "postmaster"),
	                 "postmaster-address: expected an address local@domain");
	ck_assert_str_eq(set(&f, "postmaster-address", "<a@b>"),
	                 "postmaster-address: expected an address local@domain");
	/* paths are kept as written, checked as templates */
	ck_assert_str_eq(set(&f, "sieve-dir", "/srv/sieve/%d/%u"), "");
	ck_assert_str_eq(f.c.sieve_dir, "/srv/sieve/%d/%u");
	ck_assert_str_eq(set(&f, "sieve-dir", "~/%x"),
	                 "sieve-dir: unknown escape '%x' (%u, %d, %h or %%) in '~/%x'");
	ck_assert_str_eq(set(&f, "state-dir", "~bob/state"),
	                 "state-dir: only '~' and '~/' are understood, not '~user', in "
	                 "'~bob/state'");
	ck_assert_str_eq(set(&f, "state-dir", ""), "state-dir: the value must not be empty");
	/* the state store: sqlite: with a path template, redis: as written */
	ck_assert_str_eq(set(&f, "state", "sqlite:/var/lib/sift/%u/state.db"), "");
	ck_assert_str_eq(f.c.state, "sqlite:/var/lib/sift/%u/state.db");
	ck_assert_str_eq(set(&f, "state", "redis:127.0.0.1:6379/2?prefix=mx"), "");
	ck_assert_str_eq(set(&f, "state", ""), "");
	ck_assert_str_eq(set(&f, "state", "sqlite:~/%x"),
	                 "state: unknown escape '%x' (%u, %d, %h or %%) in '~/%x'");
	ck_assert_str_eq(set(&f, "state", "mem:x"),
	                 "state: unknown state store 'mem:x' (sqlite:PATH, redis:HOST:PORT or "
	                 "redis:unix:/PATH)");
	ck_assert_str_eq(set(&f, "sieve-before", "/etc/sift/before.d"), "");
	ck_assert_str_eq(f.c.sieve_before, "/etc/sift/before.d");
	ck_assert_str_eq(set(&f, "sieve-after", "/etc/sift/after.d"), "");
	ck_assert_str_eq(f.c.sieve_after, "/etc/sift/after.d");
	ck_assert_str_eq(set(&f, "sieve-log", "~/sieve.log"), "");
	ck_assert_str_eq(f.c.sieve_log, "~/sieve.log");
	ck_assert_str_eq(set(&f, "user-config", "/etc/sift/users/%u.conf"), "");
	ck_assert_str_eq(f.c.user_config, "/etc/sift/users/%u.conf");
	/* -o values are checked like a file's lines */
	ck_assert_str_eq(set(&f, "sieve-dir", "/a\nb"),
	                 "sieve-dir: control character in the value");
	ck_assert_str_eq(set(&f, "sieve-dir", "/a\xff"), "sieve-dir: invalid UTF-8 in the value");
	ck_assert_str_eq(set(&f, "max-actions", "1\t"),
	                 "max-actions: control character in the value");
	ck_assert_str_eq(f.c.sieve_dir, "/srv/sieve/%d/%u");
	fx_free(&f);
}
END_TEST

/* sieve-active: whether it was set decides the ~/.dovecot.sieve fallback. */
START_TEST(test_sieve_active_set)
{
	struct fx f;
	fx_init(&f);
	ck_assert(!f.c.sieve_active_set);
	ck_assert_int_eq(load_text(&f, "sieve-dir = ~/s\n"), SV_OK);
	ck_assert(!f.c.sieve_active_set);
	ck_assert_int_eq(load_text(&f, "sieve-active = ~/.sieve\n"), SV_OK);
	ck_assert(f.c.sieve_active_set); /* even to the default */
	fx_free(&f);
	fx_init(&f);
	ck_assert_str_eq(set(&f, "sieve-active", "~/active.sieve"), "");
	ck_assert(f.c.sieve_active_set);
	ck_assert_str_eq(f.c.sieve_active, "~/active.sieve");
	fx_free(&f);
}
END_TEST

START_TEST(test_locations)
{
	static const char *const ok[] = {
	    "maildir:~/Maildir",
	    "maildir:/var/mail/%d/%u",
	    "/var/mail/%u/Maildir",
	    "~/Maildir",
	    "mbox:~/mail",
	    "mbox:~/mail:INBOX=/var/mail/%u",
	    "mbox:~/mail:INBOX=~/inbox",
	};
	static const struct {
		const char *v, *err;
	} bad[] = {
	    {"imap:foo", "mail-location: unknown mail store 'imap:foo' (maildir:PATH or "
	                 "mbox:PATH[:INBOX=FILE])"},
	    {"maildir:", "mail-location: no path after the store type"},
	    {"mbox::INBOX=/x", "mail-location: no path after the store type"},
	    {"maildir:~/M:INBOX=/x", "mail-location: :INBOX= is for mbox locations only"},
	    {"mbox:~/mail:INBOX=", "mail-location: no file after :INBOX="},
	    {"mbox:~/mail:INBOX=~u/x",
	     "mail-location: only '~' and '~/' are understood, not '~user', in "
	     "'mbox:~/mail:INBOX=~u/x'"},
	    {"", "mail-location: the value must not be empty"},
	};
	struct fx f;
	fx_init(&f);
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		ck_assert_str_eq(set(&f, "mail-location", ok[i]), "");
		ck_assert_str_eq(f.c.mail_location, ok[i]);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_str_eq(set(&f, "mail-location", bad[i].v), bad[i].err);
	ck_assert_str_eq(f.c.mail_location, ok[sizeof ok / sizeof *ok - 1]);
	fx_free(&f);
}
END_TEST

START_TEST(test_engine_settings)
{
	struct fx f;
	fx_init(&f);
	ck_assert_int_eq(load_text(&f, "max-actions = 7\n"
	                               "sieve_max_redirects = 2\n"
	                               "sieve_variables_max_value_size = 8K\n"
	                               "max-cpu-time = 2m\n"
	                               "recipient_delimiter = +-\n"),
	                 SV_OK);
	ck_assert_uint_eq(sv_settings_get(&f.s, SV_SET_max_actions), 7);
	ck_assert_uint_eq(sv_settings_get(&f.s, SV_SET_max_redirects), 2);
	ck_assert_uint_eq(sv_settings_get(&f.s, SV_SET_max_variable_size), 8192);
	ck_assert_uint_eq(sv_settings_get(&f.s, SV_SET_max_cpu_time), 120);
	ck_assert_str_eq(sv_settings_text(&f.s, SV_SET_recipient_delimiter), "+-");
	/* every key and every alias of the table is accepted */
	for (int i = 0; i < sv_settings_count(); i++) {
		const struct sv_setting_info *in = sv_setting_info_of(i);
		char v[32];
		snprintf(v, sizeof v, "%llu", (unsigned long long)in->min);
		if (in->type == SV_SETTING_TEXT)
			snprintf(v, sizeof v, "%s", in->text_def);
		ck_assert_str_eq(set(&f, in->key, v), "");
		for (const char *a = in->alias; *a;) {
			const char *bar = strchr(a, '|');
			size_t n = bar ? (size_t)(bar - a) : strlen(a);
			char alias[64];
			ck_assert_uint_lt(n, sizeof alias);
			memcpy(alias, a, n);
			alias[n] = '\0';
			ck_assert_str_eq(set(&f, alias, v), "");
			ck_assert_int_eq(sv_settings_find(alias), i);
			a += n + (bar ? 1 : 0);
		}
	}
	ck_assert_str_eq(set(&f, "max-actions", "lots"),
	                 "setting 'max-actions': 'lots' is not a valid number");
	ck_assert_str_eq(set(&f, "max-actions", "0"),
	                 "setting 'max-actions': 0 is outside 1..10000");
	fx_free(&f);
}
END_TEST

/* Comments, [sift], CRLF, a byte-order mark, blanks, inline comments,
 * "key: value", indented lines (no continuation lines). */
START_TEST(test_syntax)
{
	struct fx f;
	fx_init(&f);
	ck_assert_int_eq(load_text(&f, "\xef\xbb\xbf# sift.conf\r\n"
	                               "; another comment\n"
	                               "\n"
	                               "[sift]   # the only section\n"
	                               "mail-location = mbox:~/mail ; an inline comment\n"
	                               "   sieve-dir=~/scripts\n"
	                               "\tstate-dir  =  ~/st#ate\r\n"
	                               "log-debug: yes\n"
	                               "[ sift ]\n"
	                               "sieve-log =\n"
	                               "max-actions = 9"),
	                 SV_OK);
	ck_assert_str_eq(errs(&f), "");
	ck_assert_str_eq(f.c.mail_location, "mbox:~/mail");
	ck_assert_str_eq(f.c.sieve_dir, "~/scripts");
	ck_assert_str_eq(f.c.state_dir,
	                 "~/st#ate"); /* '#' starts comments at a line's start only */
	ck_assert(f.c.debug);
	ck_assert_str_eq(f.c.sieve_log, "");
	ck_assert_uint_eq(sv_settings_get(&f.s, SV_SET_max_actions), 9);
	/* an empty file and one of comments change nothing */
	ck_assert_int_eq(load_text(&f, ""), SV_OK);
	ck_assert_int_eq(load_text(&f, "# nothing\n"), SV_OK);
	ck_assert_str_eq(f.c.mail_location, "mbox:~/mail");
	fx_free(&f);
}
END_TEST

/* Later layers win: sift.conf, then the per-user file, then -o. */
START_TEST(test_layers)
{
	struct fx f;
	fx_init(&f);
	char user[160];
	snprintf(user, sizeof user, "%s/alice.conf", root);
	ck_assert_int_eq(load_text(&f, "sieve-dir = /srv/sieve/%u\n"
	                               "state-dir = /srv/state/%u\n"
	                               "max-actions = 10\n"
	                               "user-config = /etc/sift/users/%u.conf\n"),
	                 SV_OK);
	write_file(user, "state-dir = /srv/big/%u\nsieve_max_actions = 20\nlog-debug = yes\n");
	ck_assert_int_eq(sv_conf_load(&f.c, &f.s, user, false, &f.err), SV_OK);
	ck_assert_str_eq(f.c.sieve_dir, "/srv/sieve/%u");                 /* from sift.conf */
	ck_assert_str_eq(f.c.state_dir, "/srv/big/%u");                   /* overridden per user */
	ck_assert_uint_eq(sv_settings_get(&f.s, SV_SET_max_actions), 20); /* by its alias */
	ck_assert(f.c.debug);
	/* -o last */
	ck_assert(sv_conf_set_option(&f.c, &f.s, "state-dir=/tmp/st", &f.err));
	ck_assert(sv_conf_set_option(&f.c, &f.s, "max-actions=30", &f.err));
	ck_assert(sv_conf_set_option(&f.c, &f.s, "smtp-relay=mx:2525", &f.err));
	ck_assert(sv_conf_set_option(&f.c, &f.s, "sieve-log=", &f.err));
	ck_assert_str_eq(errs(&f), "");
	ck_assert_str_eq(f.c.state_dir, "/tmp/st");
	ck_assert_uint_eq(sv_settings_get(&f.s, SV_SET_max_actions), 30);
	ck_assert_str_eq(f.c.submit.relay, "mx:2525");
	ck_assert(!sv_conf_set_option(&f.c, &f.s, "state-dir", &f.err));
	ck_assert_str_eq(errs(&f), "option 'state-dir' is not key=value");
	sv_buf_reset(&f.err);
	ck_assert(!sv_conf_set_option(&f.c, &f.s, "sieve_dir=/x", &f.err));
	ck_assert_str_eq(errs(&f), "unknown key 'sieve_dir' (did you mean 'sieve-dir'?)");
	/* a missing per-user file is no error and changes nothing */
	snprintf(user, sizeof user, "%s/bob.conf", root);
	sv_buf_reset(&f.err);
	ck_assert_int_eq(sv_conf_load(&f.c, &f.s, user, false, &f.err), SV_OK);
	ck_assert_str_eq(errs(&f), "");
	ck_assert_str_eq(f.c.state_dir, "/tmp/st");
	fx_free(&f);
}
END_TEST

/* Every kind of error, with its exact message. */
START_TEST(test_errors)
{
	static const struct {
		const char *text;
		int line;
		const char *msg;
	} cases[] = {
	    {"sieve-dir = ~/s\nmail-locaton = ~/M\n", 2,
	     "unknown key 'mail-locaton' (did you mean 'mail-location'?)"},
	    {"max_actions = 3\n", 1, "unknown key 'max_actions' (did you mean 'max-actions'?)"},
	    {"sieve_max_action = 3\n", 1,
	     "unknown key 'sieve_max_action' (did you mean 'max-actions'?)"},
	    {"Mail-Location = ~/M\n", 1,
	     "unknown key 'Mail-Location' (did you mean 'mail-location'?)"},
	    {"frobnicate = 1\n", 1, "unknown key 'frobnicate'"},
	    {"lg = syslog\n", 1, "unknown key 'lg'"},
	    {"= x\n", 1, "unknown key ''"},
	    {"mailbox-autocreate = maybe\n", 1,
	     "mailbox-autocreate: 'maybe' is not yes, no, true, false, on, off, 1 or 0"},
	    {"\n\nquota-exceeded = bounce\n", 3,
	     "quota-exceeded: 'bounce' is not one of tempfail, reject"},
	    {"lock-timeout = 3601\n", 1, "lock-timeout: 3601 is outside 0..3600"},
	    {"max-actions = lots\n", 1, "setting 'max-actions': 'lots' is not a valid number"},
	    {"mail-location =\n", 1, "mail-location: the value must not be empty"},
	    {"sieve-dir = ~/a\nlog = none\nsieve-dir = ~/b\n", 3,
	     "duplicate key 'sieve-dir', already set on line 1"},
	    {"max-actions = 3\nsieve_max_actions = 4\n", 2,
	     "duplicate key 'sieve_max_actions' (an alias of max-actions), already set on line 1"},
	    {"[global]\nlog = none\n", 1, "section [global]: only [sift] is allowed"},
	    {"[sift]\nlog = none\n[dovecot]\n", 3, "section [dovecot]: only [sift] is allowed"},
	    {"[sift] extra\n", 1, "section [sift] extra: only [sift] is allowed"},
	    {"[sift\n", 1, "section [sift: only [sift] is allowed"},
	    {"log = none\njust words\n", 2,
	     "cannot parse the line: expected 'key = value' or [sift]"},
	    {"just words\nfrobnicate = 1\n", 1,
	     "cannot parse the line: expected 'key = value' or [sift]"},
	    {"log = none\nsieve-dir = ~/\xc3\n", 2, "invalid UTF-8 in the line"},
	    {"# caf\xe9\n", 1, "invalid UTF-8 in the line"},
	    {"log = none\x1b\n", 1, "control character in the line"},
	    {"log = no\rne\n", 1, "control character in the line"},
	    {"sieve-dir = ~/%q\n", 1,
	     "sieve-dir: unknown escape '%q' (%u, %d, %h or %%) in '~/%q'"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct fx f;
		fx_init(&f);
		ck_assert_msg(load_text(&f, cases[i].text) == SV_CORRUPT, "case %zu: %s", i,
		              errs(&f));
		char want[512];
		snprintf(want, sizeof want, "%s:%d: %s", path, cases[i].line, cases[i].msg);
		ck_assert_str_eq(errs(&f), want);
		fx_free(&f);
	}
	/* a NUL byte */
	struct fx f;
	fx_init(&f);
	write_bytes(path, "log = none\nlog-debug = y\0es\n", 28);
	ck_assert_int_eq(sv_conf_load(&f.c, &f.s, path, true, &f.err), SV_CORRUPT);
	char want[256];
	snprintf(want, sizeof want, "%s:2: NUL byte in the line", path);
	ck_assert_str_eq(errs(&f), want);
	fx_free(&f);
}
END_TEST

/* An invalid file changes nothing, even the lines before its error. */
START_TEST(test_invalid_changes_nothing)
{
	struct fx f;
	fx_init(&f);
	ck_assert_int_eq(load_text(&f, "sieve-dir = /a\nmax-actions = 5\n"), SV_OK);
	ck_assert_int_eq(load_text(&f, "sieve-dir = /b\nmax-actions = 6\nsieve-active = ~/x\n"
	                               "smtp-relay = mx\nlog = loud\n"),
	                 SV_CORRUPT);
	ck_assert_str_eq(f.c.sieve_dir, "/a");
	ck_assert_uint_eq(sv_settings_get(&f.s, SV_SET_max_actions), 5);
	ck_assert(!f.c.sieve_active_set);
	ck_assert_ptr_null(f.c.submit.relay);
	fx_free(&f);
}
END_TEST

/* Load the mode-000 file at path; the error, "" when it loaded, or the
 * log setting changed (static: read in a child too). */
static const char *load_unreadable(void)
{
	static struct fx f;
	fx_init(&f);
	if (sv_conf_load(&f.c, &f.s, path, false, &f.err) != SV_TEMPFAIL)
		return "not a temporary failure";
	if (f.c.log != SV_CONF_LOG_SYSLOG)
		return "changed";
	return errs(&f);
}

START_TEST(test_missing_and_unreadable)
{
	struct fx f;
	fx_init(&f);
	char p[192], want[256];
	/* missing: fine unless the file must exist */
	snprintf(p, sizeof p, "%s/none.conf", root);
	ck_assert_int_eq(sv_conf_load(&f.c, &f.s, p, false, &f.err), SV_OK);
	ck_assert_str_eq(errs(&f), "");
	ck_assert_int_eq(sv_conf_load(&f.c, &f.s, p, true, &f.err), SV_TEMPFAIL);
	snprintf(want, sizeof want, "%s: cannot open: No such file or directory", p);
	ck_assert_str_eq(errs(&f), want);
	/* a path through a file (ENOTDIR) is missing too */
	write_file(path, "log = none\n");
	snprintf(p, sizeof p, "%s/sub.conf", path);
	sv_buf_reset(&f.err);
	ck_assert_int_eq(sv_conf_load(&f.c, &f.s, p, false, &f.err), SV_OK);
	/* a folder (EISDIR): unreadable, a temporary failure even when optional */
	sv_buf_reset(&f.err);
	ck_assert_int_eq(sv_conf_load(&f.c, &f.s, root, false, &f.err), SV_TEMPFAIL);
	snprintf(want, sizeof want, "%s: cannot read: Is a directory", root);
	ck_assert_str_eq(errs(&f), want);
	/* not a regular file */
	snprintf(p, sizeof p, "%s/fifo", root);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	sv_buf_reset(&f.err);
	ck_assert_int_eq(sv_conf_load(&f.c, &f.s, p, false, &f.err), SV_TEMPFAIL);
	snprintf(want, sizeof want, "%s: not a regular file", p);
	ck_assert_str_eq(errs(&f), want);
	ck_assert_int_eq(f.c.log, SV_CONF_LOG_SYSLOG); /* nothing was read */
	/* no permission (EACCES) */
	ck_assert_int_eq(chmod(path, 0), 0);
	snprintf(want, sizeof want, "%s: cannot open: Permission denied", path);
	if (geteuid() != 0) {
		ck_assert_str_eq(load_unreadable(), want);
	} else {
		/* root reads a mode-000 file anyway: the load runs in a child
		 * that has become nobody (root's 0700 scratch folder denies it
		 * too); skipped when that cannot be done. */
		int fds[2];
		ck_assert_int_eq(pipe(fds), 0);
		pid_t pid = fork();
		ck_assert_int_ne(pid, -1);
		if (pid == 0) {
			close(fds[0]);
			const char *got = "cannot drop privileges";
			if (setgid(65534) == 0 && setuid(65534) == 0)
				got = load_unreadable();
			ssize_t w = write(fds[1], got, strlen(got));
			_exit(w < 0);
		}
		close(fds[1]);
		char got[512];
		ssize_t n = read(fds[0], got, sizeof got - 1);
		close(fds[0]);
		int wst;
		ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
		ck_assert(n >= 0);
		got[n] = '\0';
		if (strcmp(got, "cannot drop privileges") != 0)
			ck_assert_str_eq(got, want);
	}
	fx_free(&f);
}
END_TEST

/* The file is at most 1 MiB; a line at most 4096 bytes (with Debian's
 * libinih, whose line buffer can be raised; others keep their own
 * compile-time bound and the reader reports that). */
START_TEST(test_bounds)
{
	struct fx f;
	fx_init(&f);
	size_t max = 1024 * 1024;
	char *big = sv_malloc(max + 2);
	/* exactly 1 MiB of comment lines: accepted */
	for (size_t i = 0; i < max; i++)
		big[i] = i % 64 == 63 ? '\n' : '#';
	write_bytes(path, big, max);
	ck_assert_int_eq(sv_conf_load(&f.c, &f.s, path, true, &f.err), SV_OK);
	ck_assert_str_eq(errs(&f), "");
	/* one byte more: refused */
	big[max] = '\n';
	write_bytes(path, big, max + 1);
	ck_assert_int_eq(sv_conf_load(&f.c, &f.s, path, true, &f.err), SV_CORRUPT);
	char want[256];
	snprintf(want, sizeof want, "%s: larger than 1048576 bytes", path);
	ck_assert_str_eq(errs(&f), want);
	sv_free(big);
#if HAVE_DECL_INI_MAX_LINE
	/* a 4096-byte line is whole; a value that long reaches the key */
	char line[4200];
	int n = snprintf(line, sizeof line, "sieve-dir = /");
	memset(line + n, 'd', 4096 - (size_t)n);
	line[4096] = '\n';
	line[4097] = '\0';
	sv_buf_reset(&f.err);
	ck_assert_int_eq(load_text(&f, line), SV_OK);
	ck_assert_uint_eq(strlen(f.c.sieve_dir), 4096 - 12);
	/* the line is what counts, a CR counts too */
	line[4096] = 'd';
	line[4097] = '\n';
	line[4098] = '\0';
	ck_assert_int_eq(load_text(&f, line), SV_CORRUPT);
	snprintf(want, sizeof want, "%s:1: line longer than 4096 bytes", path);
	ck_assert_str_eq(errs(&f), want);
	ck_assert_uint_eq(strlen(f.c.sieve_dir), 4096 - 12);
#endif
	fx_free(&f);
}
END_TEST

static const char *expand(const char *tmpl, const char *user, const char *home, const char *domain,
                          struct sv_buf *out)
{
	static struct sv_buf err;
	sv_buf_reset(&err);
	sv_buf_reset(out);
	bool ok = sv_conf_expand(tmpl, user, home, domain, out, &err);
	ck_assert_msg(ok == (err.len == 0), "%s: ok %d, err '%s'", tmpl, ok, err.p);
	if (!ok)
		ck_assert_uint_eq(out->len, 0);
	return ok ? (out->p ? out->p : "") : err.p;
}

START_TEST(test_expand)
{
	static const struct {
		const char *tmpl, *want;
	} cases[] = {
	    {"~", "/home/al"},
	    {"~/Maildir", "/home/al/Maildir"},
	    {"maildir:~/Maildir", "maildir:/home/al/Maildir"},
	    {"mbox:~/mail:INBOX=~/inbox", "mbox:/home/al/mail:INBOX=/home/al/inbox"},
	    {"mbox:~:INBOX=/var/mail/%u", "mbox:/home/al:INBOX=/var/mail/al"},
	    {"/srv/%d/%u/sieve", "/srv/example.org/al/sieve"},
	    {"%h/.sieve", "/home/al/.sieve"},
	    {"/x/100%%/y", "/x/100%/y"},
	    {"/x/a~b/~", "/x/a~b/~"},                   /* '~' inside a path is a character */
	    {"/srv/../shared/%u", "/srv/../shared/al"}, /* the admin's own '..' stays */
	    {"/srv/%u.d/..%u", "/srv/al.d/..al"},
	    {"", ""},
	};
	struct sv_buf out = SV_BUF_INIT;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		ck_assert_str_eq(expand(cases[i].tmpl, "al", "/home/al", "example.org", &out),
		                 cases[i].want);
	/* out is appended to */
	sv_buf_reset(&out);
	sv_buf_puts(&out, "x=");
	struct sv_buf err = SV_BUF_INIT;
	ck_assert(sv_conf_expand("%u", "al", "/h", "d", &out, &err));
	ck_assert_str_eq(out.p, "x=al");
	/* and left as it was on failure */
	ck_assert(!sv_conf_expand("%u/%x", "al", "/h", "d", &out, &err));
	ck_assert_str_eq(out.p, "x=al");
	sv_buf_free(&err);

	static const struct {
		const char *tmpl, *user, *home, *domain, *err;
	} bad[] = {
	    {"~bob/x", "al", "/home/al", "d",
	     "only '~' and '~/' are understood, not '~user', in '~bob/x'"},
	    {"/x/%x", "al", "/home/al", "d", "unknown escape '%x' (%u, %d, %h or %%) in '/x/%x'"},
	    {"/x/%", "al", "/home/al", "d", "a lone '%' (%u, %d, %h or %%) at the end of '/x/%'"},
	    {"/x/%\xc3\xa9", "al", "/home/al", "d",
	     "unknown escape '%\xc3\xa9' (%u, %d, %h or %%) in '/x/%\xc3\xa9'"},
	    {"~/x", "al", NULL, "d", "the home directory is needed but unknown"},
	    {"%h/x", "al", "", "d", "the home directory is needed but unknown"},
	    {"~/x", "al", "home/al", "d", "the home directory 'home/al' is not an absolute path"},
	    {"/x/%u", NULL, "/h", "d", "the user name is needed but unknown"},
	    {"/x/%d", "al", "/h", "", "the domain is needed but unknown"},
	    /* values that would climb out of the folder, or make folders */
	    {"/x/%u", "..", "/h", "d", "the user name '..' cannot be used in a path"},
	    {"/x/%u", ".", "/h", "d", "the user name '.' cannot be used in a path"},
	    {"/x/%u", "../etc", "/h", "d", "the user name '../etc' cannot be used in a path"},
	    {"/x/%u", "a/b", "/h", "d", "the user name 'a/b' cannot be used in a path"},
	    {"/x/%u", "a\nb", "/h", "d", "the user name 'a\\nb' cannot be used in a path"},
	    {"/x/%d/%u", "al", "/h", "..", "the domain '..' cannot be used in a path"},
	    {"/x/.%u/y", "al.", "/h", "d", "/x/.al./y"}, /* ".al." is a name, fine */
	    {"/x/%u%u", "al", "/h", "d", "/x/alal"},
	    {"/x/.%u", ".", "/h", "d", "the user name '.' cannot be used in a path"},
	    {"%h/x", "al", "/home/../etc", "d", "a substituted value would put '..' into '%h/x'"},
	    {"/x/%u.", "al", "/h", "d", "/x/al."},
	};
	/* err: the reason, or the result for the few that are fine */
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_str_eq(expand(bad[i].tmpl, bad[i].user, bad[i].home, bad[i].domain, &out),
		                 bad[i].err);
	/* a '.' next to a '.' of the template: the result's ".." is refused */
	ck_assert_str_eq(expand("/x/.%d/y", "al", "/h", ".", &out),
	                 "the domain '.' cannot be used in a path");
	ck_assert_str_eq(expand("/x/%d%d/y", "al", "/h", ".x", &out), "/x/.x.x/y");
	sv_buf_free(&out);
}
END_TEST

/* Read a file of the source tree (the harness exports srcdir). */
static char *read_src(const char *rel)
{
	const char *top = getenv("srcdir");
	char p[512];
	snprintf(p, sizeof p, "%s/%s", top ? top : ".", rel);
	FILE *fp = fopen(p, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", p);
	struct sv_buf b = SV_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		sv_buf_append(&b, chunk, n);
	fclose(fp);
	sv_buf_putc(&b, '\0');
	return sv_buf_steal(&b, NULL);
}

/* The key as roff writes it: each '-' as "\-". */
static void roff_key(const char *key, char *out, size_t size)
{
	size_t o = 0;
	for (const char *k = key; *k && o + 3 < size; k++) {
		if (*k == '-')
			out[o++] = '\\';
		out[o++] = *k;
	}
	out[o] = '\0';
}

/* sv_conf_describe lists every delivery key; sift.conf(5) gives each its
 * own entry and sift.conf.example a commented line with its default. The
 * engine settings' part of the page is generated from limits.h (doc/),
 * the example's is checked here. */
START_TEST(test_docs_name_every_key)
{
	struct sv_buf d = SV_BUF_INIT;
	sv_conf_describe(&d);
	char *page = read_src("doc/sift.conf.5.in");
	char *example = read_src("doc/sift.conf.example");
	int keys = 0;
	for (const char *line = d.p; line && *line;) {
		const char *nl = strchr(line, '\n');
		if (line[0] != ' ') {
			char key[64], want[160];
			ck_assert_int_eq(sscanf(line, "%63s", key), 1);
			ck_assert_msg(strstr(line, " default "), "%s: no default", key);
			char rk[128];
			roff_key(key, rk, sizeof rk);
			snprintf(want, sizeof want, "\n.B %s\n", rk);
			ck_assert_msg(strstr(page, want), "sift.conf.5.in has no entry '.B %s'",
			              rk);
			snprintf(want, sizeof want, "\n#%s =", key);
			ck_assert_msg(strstr(example, want), "sift.conf.example has no '#%s ='",
			              key);
			keys++;
		} else {
			ck_assert_msg(line[4] != ' ' && nl - line > 5, "empty help");
		}
		line = nl ? nl + 1 : NULL;
	}
	ck_assert_int_eq(keys, 29);
	for (int i = 0; i < sv_settings_count(); i++) {
		char want[160];
		snprintf(want, sizeof want, "\n#%s =", sv_setting_info_of(i)->key);
		ck_assert_msg(strstr(example, want), "sift.conf.example has no '#%s ='",
		              sv_setting_info_of(i)->key);
	}
	/* and the example, uncommented, is a valid file of the defaults */
	struct sv_buf text = SV_BUF_INIT;
	for (const char *line = example; *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
		if (line[0] == '#' && line[1] != ' ' && line[1] != '#' && line[1] != '\n')
			sv_buf_append(&text, line + 1, n - 1);
		line += n;
	}
	sv_buf_putc(&text, '\0');
	struct fx f, dflt;
	fx_init(&f);
	fx_init(&dflt);
	ck_assert_msg(load_text(&f, text.p) == SV_OK, "%s", errs(&f));
	ck_assert_str_eq(f.c.mail_location, dflt.c.mail_location);
	ck_assert_str_eq(f.c.submit.sendmail, dflt.c.submit.sendmail);
	ck_assert_int_eq(f.c.submit.starttls, dflt.c.submit.starttls);
	ck_assert_int_eq(f.c.syslog_facility, dflt.c.syslog_facility);
	ck_assert_mem_eq(&f.c.store.quota_bytes, &dflt.c.store.quota_bytes, sizeof(uint64_t));
	for (int i = 0; i < sv_settings_count(); i++)
		ck_assert_msg(sv_settings_get(&f.s, i) == sv_settings_get(&dflt.s, i) &&
		                  strcmp(sv_settings_text(&f.s, i), sv_settings_text(&dflt.s, i)) ==
		                      0,
		              "sift.conf.example: %s is not the default", sv_setting_info_of(i)->key);
	fx_free(&f);
	fx_free(&dflt);
	sv_buf_free(&text);
	sv_free(page);
	sv_free(example);
	sv_buf_free(&d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("sift.conf");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_booleans);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_choices);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_sieve_active_set);
	tcase_add_test(tc, test_locations);
	tcase_add_test(tc, test_engine_settings);
	tcase_add_test(tc, test_syntax);
	tcase_add_test(tc, test_layers);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_invalid_changes_nothing);
	tcase_add_test(tc, test_missing_and_unreadable);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_expand);
	tcase_add_test(tc, test_docs_name_every_key);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
