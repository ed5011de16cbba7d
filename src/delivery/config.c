/*
 * config.c: sift.conf, the delivery configuration (config.h, sift.conf(5)).
 *
 * libinih splits "key = value" lines; everything around it is ours: the
 * file is read here (bounded, with errno told apart: missing, unreadable,
 * invalid), and a line reader hands inih one line at a time, so line
 * numbers, line length, NUL bytes, UTF-8, control characters and the one
 * allowed section, [sift], are checked before inih sees a byte. The reader
 * also takes inih's Python-style continuation lines away (an indented line
 * is an ordinary line here): a stray indent must not glue a key onto the
 * value above it.
 *
 * The delivery keys are one table (CONF_KEYS): key, type, default, allowed
 * values, bounds, help. sv_conf_init sets every default through the same
 * code that parses the file, and sv_conf_describe prints the table, so the
 * defaults are said once. Engine settings go to sv_settings_set.
 *
 * A key set twice in one file (an alias counts as its key) is an error:
 * one of the two lines is not what the admin meant, and which one cannot
 * be guessed. Layers (the per-user file, -o) override without complaint.
 *
 * Not done here: loading the layers in order (the caller does, as
 * sieve-deliver does), reloading, include files.
 */
#include <config.h>

#include "delivery/config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/utf8.h"

/* A file larger than this is not a config file. */
#define CONF_MAX_FILE (1 * SV_MiB)
/* Longest line (without its newline); see conf_max_line. */
#define CONF_MAX_LINE 4096
/* User data quoted in a message is cut here. */
#define QUOTE_MAX 80

enum conf_type {
	T_LOCATION, /* a mail location: [maildir:|mbox:]PATH[:INBOX=FILE] */
	T_STATE,    /* a state store: sqlite:PATH, redis:... or "" */
	T_PATH,     /* a path template (sv_conf_expand) */
	T_PROGRAM,  /* an absolute path, not expanded */
	T_FILE,     /* an absolute path or "", not expanded */
	T_RELAY,    /* host[:port], [v6]:port or "" */
	T_HOST,     /* a host name for EHLO or "" */
	T_ADDRESS,  /* local@domain or "" */
	T_BOOL,
	T_SIZE, /* bytes, K/M/G */
	T_NUMBER,
	T_SECONDS, /* s/m/h/d */
	T_CHOICE,  /* one of the '|'-separated words */
};

/* Empty values: those that mean "none" may be empty. */
#define F_EMPTY 1u

/* X(id, key, type, default, choices, min, max, flags, help) */
#define CONF_KEYS(X)                                                                               \
	X(MAIL_LOCATION, "mail-location", T_LOCATION, "maildir:~/Maildir", NULL, 0, 0, 0,          \
	  "where mail is filed: maildir:PATH, or mbox:PATH[:INBOX=FILE]")                          \
	X(MAILBOX_SEPARATOR, "mailbox-separator", T_CHOICE, ".", ".|/", 0, 0, 0,                   \
	  "hierarchy separator in mailbox names that scripts file into")                           \
	X(MAILBOX_AUTOCREATE, "mailbox-autocreate", T_BOOL, "yes", NULL, 0, 0, 0,                  \
	  "filing into a missing mailbox creates it (no: the message goes to INBOX)")              \
	X(QUOTA_BYTES, "quota-bytes", T_SIZE, "0", NULL, 0, UINT64_MAX, 0,                         \
	  "largest mail store in bytes (0: the Maildir's maildirsize limit, if any)")              \
	X(QUOTA_MESSAGES, "quota-messages", T_NUMBER, "0", NULL, 0, UINT64_MAX, 0,                 \
	  "most messages in the store (0: the Maildir's maildirsize limit, if any)")               \
	X(QUOTA_EXCEEDED, "quota-exceeded", T_CHOICE, "tempfail", "tempfail|reject", 0, 0, 0,      \
	  "a delivery over quota fails temporarily (the MTA retries) or is rejected (bounces)")    \
	X(LOCK_TIMEOUT, "lock-timeout", T_SECONDS, "300", NULL, 0, 3600, 0,                        \
	  "seconds to wait for an mbox lock before failing temporarily")                           \
	X(SIEVE_DIR, "sieve-dir", T_PATH, "~/sieve", NULL, 0, 0, 0,                                \
	  "folder of the user's scripts (ManageSieve's storage)")                                  \
	X(SIEVE_ACTIVE, "sieve-active", T_PATH, "~/.sieve", NULL, 0, 0, 0,                         \
	  "the user's active script, a symbolic link into sieve-dir; when absent and not set, "    \
	  "~/.dovecot.sieve")                                                                      \
	X(SIEVE_BEFORE, "sieve-before", T_PATH, "", NULL, 0, 0, F_EMPTY,                           \
	  "folder of scripts run before the user's, in name order (empty: none)")                  \
	X(SIEVE_AFTER, "sieve-after", T_PATH, "", NULL, 0, 0, F_EMPTY,                             \
	  "folder of scripts run after the user's while the implicit keep holds (empty: none)")    \
	X(SIEVE_GLOBAL, "sieve-global", T_PATH, "", NULL, 0, 0, F_EMPTY,                           \
	  "folder of the scripts include :global reads (RFC 6609), never written (empty: none)")   \
	X(SIEVE_LOG, "sieve-log", T_PATH, "", NULL, 0, 0, F_EMPTY,                                 \
	  "the user's log of script errors (empty: the active script's path + \".log\")")          \
	X(SENDMAIL, "sendmail", T_PROGRAM, "/usr/sbin/sendmail", NULL, 0, 0, 0,                    \
	  "program that sends mail (redirect, vacation) when smtp-relay is empty")                 \
	X(SMTP_RELAY, "smtp-relay", T_RELAY, "", NULL, 0, 0, F_EMPTY,                              \
	  "host[:port] (port 25 by default) to send mail to by SMTP instead of sendmail")          \
	X(SMTP_STARTTLS, "smtp-starttls", T_CHOICE, "may", "no|may|required", 0, 0, 0,             \
	  "STARTTLS with the relay: never, when offered, or required with a verified certificate") \
	X(SMTP_TLS_CA, "smtp-tls-ca", T_FILE, "", NULL, 0, 0, F_EMPTY,                             \
	  "CA file that verifies the relay's certificate (empty: the system's)")                   \
	X(SMTP_HELO, "smtp-helo", T_HOST, "", NULL, 0, 0, F_EMPTY,                                 \
	  "name sift gives in EHLO (empty: the host name)")                                        \
	X(SMTP_TIMEOUT, "smtp-timeout", T_SECONDS, "300", NULL, 1, 3600, 0,                        \
	  "seconds each SMTP step may take")                                                       \
	X(POSTMASTER, "postmaster-address", T_ADDRESS, "", NULL, 0, 0, F_EMPTY,                    \
	  "sender of mail sift writes itself (empty: postmaster@ the host name)")                  \
	X(STATE_DIR, "state-dir", T_PATH, "~/.sift", NULL, 0, 0, 0,                                \
	  "folder of the user's delivery state (vacation, duplicate)")                             \
	X(METADATA, "metadata", T_PATH, "file:~/.sift/metadata", NULL, 0, 0, F_EMPTY,              \
	  "the user's mailbox annotations for mboxmetadata, [file:]PATH (empty: none)")            \
	X(SERVER_METADATA, "server-metadata", T_PATH, "", NULL, 0, 0, F_EMPTY,                     \
	  "the server's annotations for servermetadata, [file:]PATH (empty: none)")                \
	X(STATE, "state", T_STATE, "", NULL, 0, 0, F_EMPTY,                                       \
	  "the user's state store (vacation, duplicate): sqlite:PATH (~, %u, %d expanded), "      \
	  "redis:HOST:PORT[/DB][?prefix=P&db=N&password=S] or redis:unix:/PATH; empty: "           \
	  "sqlite: state-dir/state.db")                                                            \
	X(VIRTUAL_HOME, "virtual-home", T_PATH, "", NULL, 0, 0, F_EMPTY,                           \
	  "home of a virtual user named by -d when not root (%u the name, %d the domain; "        \
	  "empty: -d must name the running user)")                                                 \
	X(USER_CONFIG, "user-config", T_PATH, "", NULL, 0, 0, F_EMPTY,                             \
	  "per-user file read after this one (admin-owned, may be missing; empty: none)")          \
	X(LOG, "log", T_CHOICE, "syslog", "syslog|none", 0, 0, 0,                                  \
	  "where delivery log lines go besides stderr")                                            \
	X(SYSLOG_FACILITY, "syslog-facility", T_CHOICE, "mail",                                    \
	  "mail|user|daemon|local0|local1|local2|local3|local4|local5|local6|local7", 0, 0, 0,     \
	  "syslog facility of the log lines")                                                      \
	X(LOG_DEBUG, "log-debug", T_BOOL, "no", NULL, 0, 0, 0, "log each step of a delivery")

enum conf_id {
#define X(id, key, type, def, choices, min, max, flags, help) C_##id,
	CONF_KEYS(X)
#undef X
	    C__COUNT
};

struct conf_key {
	const char *key;
	enum conf_type type;
	const char *def, *choices;
	uint64_t min, max;
	unsigned flags;
	const char *help;
};

static const struct conf_key conf_keys[C__COUNT] = {
#define X(id, key, type, def, choices, min, max, flags, help)                                      \
	{key, type, def, choices, min, max, flags, help},
    CONF_KEYS(X)
#undef X
};

/* syslog-facility's choices, in order. */
static const int facilities[] = {LOG_MAIL,   LOG_USER,   LOG_DAEMON, LOG_LOCAL0,
                                 LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3, LOG_LOCAL4,
                                 LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};

static int conf_find(const char *key)
{
	for (int i = 0; i < C__COUNT; i++)
		if (strcmp(conf_keys[i].key, key) == 0)
			return i;
	return -1;
}

static void quote(struct sv_buf *b, const char *s)
{
	sv_buf_putc(b, '\'');
	sv_buf_put_sanitized(b, s, strlen(s), QUOTE_MAX);
	sv_buf_putc(b, '\'');
}

/* ---- owned strings ---- */

/* Where a string-valued key keeps its value; NULL for the others. */
static char **str_slot(struct sv_conf *c, int id)
{
	switch (id) {
	case C_MAIL_LOCATION: return &c->mail_location;
	case C_SIEVE_DIR: return &c->sieve_dir;
	case C_SIEVE_ACTIVE: return &c->sieve_active;
	case C_SIEVE_BEFORE: return &c->sieve_before;
	case C_SIEVE_AFTER: return &c->sieve_after;
	case C_SIEVE_GLOBAL: return &c->sieve_global;
	case C_SIEVE_LOG: return &c->sieve_log;
	case C_STATE_DIR: return &c->state_dir;
	case C_METADATA: return &c->metadata;
	case C_SERVER_METADATA: return &c->server_metadata;
	case C_STATE: return &c->state;
	case C_USER_CONFIG: return &c->user_config;
	case C_VIRTUAL_HOME: return &c->virtual_home;
	case C_POSTMASTER: return &c->postmaster;
	case C_SENDMAIL: return &c->own_.sendmail;
	case C_SMTP_RELAY: return &c->own_.relay;
	case C_SMTP_TLS_CA: return &c->own_.tls_ca;
	case C_SMTP_HELO: return &c->own_.helo;
	}
	return NULL;
}

static const char *none_if_empty(const char *s)
{
	return s && *s ? s : NULL;
}

/* submit.h: relay, tls_ca and helo are NULL for "the default". */
static void sync_submit(struct sv_conf *c)
{
	c->submit.sendmail = c->own_.sendmail;
	c->submit.relay = none_if_empty(c->own_.relay);
	c->submit.tls_ca = none_if_empty(c->own_.tls_ca);
	c->submit.helo = none_if_empty(c->own_.helo);
}

static void conf_copy(struct sv_conf *dst, const struct sv_conf *src)
{
	*dst = *src;
	for (int i = 0; i < C__COUNT; i++) {
		char **slot = str_slot(dst, i);
		if (slot && *slot)
			*slot = sv_strdup(*slot);
	}
	sync_submit(dst);
}

void sv_conf_free(struct sv_conf *c)
{
	for (int i = 0; i < C__COUNT; i++) {
		char **slot = str_slot(c, i);
		if (slot) {
			sv_free(*slot);
			*slot = NULL;
		}
	}
	sync_submit(c);
}

/* ---- values ---- */

/* Digits with an optional suffix: K/M/G (and a B after it) for sizes and
 * numbers, s/m/h/d for durations; the same forms as limits.h's settings. */
static bool parse_number(const char *v, enum conf_type type, uint64_t *out)
{
	uint64_t n = 0;
	const char *p = v;
	if (!sv_ascii_isdigit((unsigned char)*p))
		return false;
	for (; sv_ascii_isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	uint64_t mult = 1;
	if (*p) {
		unsigned char s = sv_ascii_lower((unsigned char)*p++);
		if (type == T_SECONDS) {
			mult = s == 's'   ? 1
			       : s == 'm' ? 60
			       : s == 'h' ? 3600
			       : s == 'd' ? 86400
			                  : 0;
		} else {
			mult = s == 'k' ? SV_KiB : s == 'm' ? SV_MiB : s == 'g' ? 1024 * SV_MiB : 0;
			if (mult && sv_ascii_lower((unsigned char)*p) == 'b')
				p++;
		}
		if (!mult || *p)
			return false;
	}
	if (n > UINT64_MAX / mult)
		return false;
	*out = n * mult;
	return true;
}

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (sv_ascii_ieqz(v, yes[i]))
			return *out = true, true;
		if (sv_ascii_ieqz(v, no[i]))
			return *out = false, true;
	}
	return false;
}

/* Index of v among the '|'-separated choices (ASCII case-insensitive). */
static int parse_choice(const char *v, const char *choices)
{
	size_t vlen = strlen(v);
	int i = 0;
	for (const char *a = choices;; i++) {
		const char *bar = strchr(a, '|');
		size_t alen = bar ? (size_t)(bar - a) : strlen(a);
		if (sv_ascii_ieq(a, alen, v, vlen))
			return i;
		if (!bar)
			return -1;
		a = bar + 1;
	}
}

/* Print "a, b, c" from "a|b|c". */
static void put_choices(struct sv_buf *b, const char *choices, const char *sep)
{
	for (const char *a = choices; *a; a++) {
		if (*a == '|')
			sv_buf_puts(b, sep);
		else
			sv_buf_putc(b, *a);
	}
}

static bool check_template(const char *v, struct sv_buf *err)
{
	struct sv_buf scratch = SV_BUF_INIT;
	bool ok = sv_conf_expand(v, "user", "/home/user", "example.org", &scratch, err);
	sv_buf_free(&scratch);
	return ok;
}

/* The schemes store.h opens; a location without one is a Maildir. */
static size_t scheme_len(const char *v)
{
	if (strncmp(v, "maildir:", 8) == 0)
		return 8;
	if (strncmp(v, "mbox:", 5) == 0)
		return 5;
	return 0;
}

static bool check_location(const char *v, struct sv_buf *err)
{
	size_t sl = scheme_len(v);
	if (sl == 0) {
		const char *p = v;
		while (sv_ascii_isalpha((unsigned char)*p))
			p++;
		if (*p == ':' && p > v) {
			sv_buf_puts(err, "unknown mail store ");
			quote(err, v);
			sv_buf_puts(err, " (maildir:PATH or mbox:PATH[:INBOX=FILE])");
			return false;
		}
	}
	const char *path = v + sl;
	if (!*path || strncmp(path, ":INBOX=", 7) == 0) {
		sv_buf_puts(err, "no path after the store type");
		return false;
	}
	const char *inbox = strstr(path, ":INBOX=");
	if (inbox && strncmp(v, "mbox:", 5) != 0) {
		sv_buf_puts(err, ":INBOX= is for mbox locations only");
		return false;
	}
	if (inbox && !inbox[7]) {
		sv_buf_puts(err, "no file after :INBOX=");
		return false;
	}
	return check_template(v, err);
}

/* state.h's locations; mem: is the tests' double, of no use to a
 * delivery that ends with its process. */
static bool check_state(const char *v, struct sv_buf *err)
{
	if (strncmp(v, "sqlite:", 7) == 0)
		return check_template(v + 7, err);
	if (strncmp(v, "redis:", 6) == 0 && v[6])
		return true;
	sv_buf_puts(err, "unknown state store ");
	quote(err, v);
	sv_buf_puts(err, " (sqlite:PATH, redis:HOST:PORT or redis:unix:/PATH)");
	return false;
}

static bool check_absolute(const char *v, struct sv_buf *err)
{
	if (v[0] != '/') {
		sv_buf_puts(err, "not an absolute path");
		return false;
	}
	return true;
}

static bool check_port(const char *p, struct sv_buf *err)
{
	uint64_t port = 0;
	if (!parse_number(p, T_NUMBER, &port) ||
	    !sv_ascii_isdigit((unsigned char)p[strlen(p) - 1]) || port < 1 || port > 65535) {
		sv_buf_puts(err, "the port is not a number in 1..65535");
		return false;
	}
	return true;
}

/* host[:port] or [address]:port; no spaces, no paths. */
static bool check_relay(const char *v, struct sv_buf *err)
{
	const char *port = NULL;
	if (v[0] == '[') {
		const char *end = strchr(v, ']');
		if (!end || end == v + 1 || (end[1] && end[1] != ':')) {
			sv_buf_puts(err, "expected [address] or [address]:port");
			return false;
		}
		port = end[1] ? end + 2 : NULL;
	} else {
		const char *colon = strchr(v, ':');
		if (colon && strchr(colon + 1, ':')) {
			sv_buf_puts(err, "an IPv6 address goes in brackets: [address]:port");
			return false;
		}
		if (colon == v) {
			sv_buf_puts(err, "no host before the port");
			return false;
		}
		port = colon ? colon + 1 : NULL;
		for (const char *p = v; *p && p != colon; p++)
			if (*p == ' ' || *p == '\t' || *p == '/') {
				sv_buf_puts(err, "expected host[:port]");
				return false;
			}
	}
	return !port || check_port(port, err);
}

static bool has_space(const char *v)
{
	return strpbrk(v, " \t") != NULL;
}

static bool check_host(const char *v, struct sv_buf *err)
{
	if (has_space(v) || strlen(v) > 255) {
		sv_buf_puts(err, "not a host name");
		return false;
	}
	return true;
}

static bool check_address(const char *v, struct sv_buf *err)
{
	const char *at = strrchr(v, '@');
	if (!at || at == v || !at[1] || has_space(v) || strpbrk(v, "<>,")) {
		sv_buf_puts(err, "expected an address local@domain");
		return false;
	}
	return true;
}

/* The value is text a person wrote: UTF-8 without control characters
 * (a file's lines are checked by the reader; -o values here). */
static bool check_text(const char *v, struct sv_buf *err)
{
	size_t n = strlen(v);
	if (!sv_utf8_valid(v, n)) {
		sv_buf_puts(err, "invalid UTF-8 in the value");
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			sv_buf_puts(err, "control character in the value");
			return false;
		}
	return true;
}

static void set_string(struct sv_conf *c, int id, const char *v)
{
	char **slot = str_slot(c, id);
	sv_free(*slot);
	*slot = sv_strdup(v);
	sync_submit(c);
}

static void set_number(struct sv_conf *c, int id, uint64_t n)
{
	switch (id) {
	case C_QUOTA_BYTES: c->store.quota_bytes = n; break;
	case C_QUOTA_MESSAGES: c->store.quota_messages = n; break;
	case C_LOCK_TIMEOUT: c->store.lock_timeout = (unsigned)n; break;
	case C_SMTP_TIMEOUT: c->submit.timeout = (unsigned)n; break;
	}
}

static void set_flag(struct sv_conf *c, int id, bool b)
{
	if (id == C_MAILBOX_AUTOCREATE)
		c->store.autocreate = b;
	else if (id == C_LOG_DEBUG)
		c->debug = b;
}

static void set_choice(struct sv_conf *c, int id, int i)
{
	switch (id) {
	case C_MAILBOX_SEPARATOR: c->store.separator = i ? '/' : '.'; break;
	case C_QUOTA_EXCEEDED: c->store.over_quota = i ? SV_QUOTA_REJECT : SV_QUOTA_TEMPFAIL; break;
	case C_SMTP_STARTTLS:
		c->submit.starttls = i == 0   ? SV_STARTTLS_NO
		                     : i == 1 ? SV_STARTTLS_MAY
		                              : SV_STARTTLS_REQUIRED;
		break;
	case C_LOG: c->log = i ? SV_CONF_LOG_NONE : SV_CONF_LOG_SYSLOG; break;
	case C_SYSLOG_FACILITY: c->syslog_facility = facilities[i]; break;
	}
}

static bool check_string(const struct conf_key *k, const char *v, struct sv_buf *err)
{
	switch (k->type) {
	case T_LOCATION: return check_location(v, err);
	case T_STATE: return check_state(v, err);
	case T_PATH: return check_template(v, err);
	case T_PROGRAM:
	case T_FILE: return check_absolute(v, err);
	case T_RELAY: return check_relay(v, err);
	case T_HOST: return check_host(v, err);
	case T_ADDRESS: return check_address(v, err);
	default: return true;
	}
}

static const char *const number_forms[] = {
    [T_SIZE] = "a size (bytes, or a number with K, M or G)",
    [T_NUMBER] = "a number",
    [T_SECONDS] = "a duration (seconds, or a number with s, m, h or d)",
};

/* A number, a boolean or a choice: parse, check and store it. */
static bool set_scalar(struct sv_conf *c, int id, const char *v, struct sv_buf *err)
{
	const struct conf_key *k = &conf_keys[id];
	if (k->type == T_BOOL) {
		bool b;
		if (parse_bool(v, &b)) {
			set_flag(c, id, b);
			return true;
		}
		quote(err, v);
		sv_buf_puts(err, " is not yes, no, true, false, on, off, 1 or 0");
		return false;
	}
	if (k->type == T_CHOICE) {
		int i = parse_choice(v, k->choices);
		if (i >= 0) {
			set_choice(c, id, i);
			return true;
		}
		quote(err, v);
		sv_buf_puts(err, " is not one of ");
		put_choices(err, k->choices, ", ");
		return false;
	}
	uint64_t n;
	if (!parse_number(v, k->type, &n)) {
		quote(err, v);
		sv_buf_printf(err, " is not %s", number_forms[k->type]);
		return false;
	}
	if (n < k->min || n > k->max) {
		sv_buf_printf(err, "%llu is outside %llu..%llu", (unsigned long long)n,
		              (unsigned long long)k->min, (unsigned long long)k->max);
		return false;
	}
	set_number(c, id, n);
	return true;
}

static bool is_scalar(enum conf_type t)
{
	return t == T_BOOL || t == T_CHOICE || t == T_SIZE || t == T_NUMBER || t == T_SECONDS;
}

/* Parse and store one delivery key's value; "key: reason" appended to err
 * when it is not acceptable, and nothing changed. */
static bool set_value(struct sv_conf *c, int id, const char *v, struct sv_buf *err)
{
	const struct conf_key *k = &conf_keys[id];
	size_t start = err->len;
	sv_buf_printf(err, "%s: ", k->key);
	bool ok = check_text(v, err);
	if (ok && !*v && !(k->flags & F_EMPTY)) {
		sv_buf_puts(err, "the value must not be empty");
		ok = false;
	}
	if (ok && is_scalar(k->type))
		ok = set_scalar(c, id, v, err);
	else if (ok && (ok = !*v || check_string(k, v, err)))
		set_string(c, id, v);
	if (ok) {
		err->len = start;
		err->p[start] = '\0';
		if (id == C_SIEVE_ACTIVE)
			c->sieve_active_set = true;
	}
	return ok;
}

void sv_conf_init(struct sv_conf *c)
{
	memset(c, 0, sizeof *c);
	c->store.hostname = NULL;
	struct sv_buf err = SV_BUF_INIT;
	for (int i = 0; i < C__COUNT; i++)
		if (!set_value(c, i, conf_keys[i].def, &err))
			abort(); /* a default the table's own checks refuse */
	sv_buf_free(&err);
	c->sieve_active_set = false;
}

/* ---- unknown keys ---- */

/* Levenshtein distance, for "did you mean"; keys are short. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[64];
	if (lb >= sizeof row / sizeof *row)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The known key nearest to key (an alias suggests its key), or NULL when
 * none is close: at most 2 edits and a third of the key's length. */
static const char *nearest_key(const char *key)
{
	size_t len = strlen(key), best = 3;
	const char *found = NULL;
	if (len > 60)
		return NULL;
	for (int i = 0; i < C__COUNT; i++) {
		size_t d = distance(key, conf_keys[i].key);
		if (d < best)
			best = d, found = conf_keys[i].key;
	}
	for (int i = 0, n = sv_settings_count(); i < n; i++) {
		const struct sv_setting_info *in = sv_setting_info_of(i);
		size_t d = distance(key, in->key);
		if (d < best)
			best = d, found = in->key;
		char alias[64];
		for (const char *a = in->alias; *a;) {
			const char *bar = strchr(a, '|');
			size_t alen = bar ? (size_t)(bar - a) : strlen(a);
			if (alen < sizeof alias) {
				memcpy(alias, a, alen);
				alias[alen] = '\0';
				if ((d = distance(key, alias)) < best)
					best = d, found = in->key;
			}
			a += alen + (bar ? 1 : 0);
		}
	}
	return found && best * 3 <= len ? found : NULL;
}

static void unknown_key(const char *key, struct sv_buf *err)
{
	sv_buf_puts(err, "unknown key ");
	quote(err, key);
	const char *near = nearest_key(key);
	if (near)
		sv_buf_printf(err, " (did you mean '%s'?)", near);
}

bool sv_conf_set(struct sv_conf *c, struct sv_settings *s, const char *key, const char *value,
                 struct sv_buf *err)
{
	int id = conf_find(key);
	if (id >= 0)
		return set_value(c, id, value, err);
	if (sv_settings_find(key) >= 0) {
		size_t start = err->len;
		sv_buf_printf(err, "%s: ", key);
		if (!check_text(value, err))
			return false;
		err->len = start;
		err->p[start] = '\0';
		return sv_settings_set(s, key, value, err);
	}
	unknown_key(key, err);
	return false;
}

bool sv_conf_set_option(struct sv_conf *c, struct sv_settings *s, const char *opt,
                        struct sv_buf *err)
{
	const char *eq = strchr(opt, '=');
	if (!eq) {
		sv_buf_puts(err, "option ");
		quote(err, opt);
		sv_buf_puts(err, " is not key=value");
		return false;
	}
	char *key = sv_strndup(opt, (size_t)(eq - opt));
	bool ok = sv_conf_set(c, s, key, eq + 1, err);
	sv_free(key);
	return ok;
}

/* ---- path expansion ---- */

/* Does a path begin at i? At the start of the value, after a location's
 * scheme, and after mbox's ":INBOX=". */
static bool path_starts(const char *t, size_t i)
{
	return i == 0 || (i == scheme_len(t) && i > 0) ||
	       (i >= 7 && memcmp(t + i - 7, ":INBOX=", 7) == 0);
}

/* A user or domain name becomes one path segment: never empty, "." or
 * "..", never a '/' or a control character. */
static bool check_name(const char *what, const char *v, struct sv_buf *err)
{
	if (!v || !*v) {
		sv_buf_printf(err, "%s is needed but unknown", what);
		return false;
	}
	bool bad = strcmp(v, ".") == 0 || strcmp(v, "..") == 0 || strchr(v, '/');
	for (const char *p = v; *p && !bad; p++)
		bad = (unsigned char)*p < 0x20 || *p == 0x7f;
	if (bad) {
		sv_buf_printf(err, "%s ", what);
		quote(err, v);
		sv_buf_puts(err, " cannot be used in a path");
		return false;
	}
	return true;
}

static bool check_home(const char *home, struct sv_buf *err)
{
	if (!home || !*home) {
		sv_buf_puts(err, "the home directory is needed but unknown");
		return false;
	}
	if (home[0] != '/') {
		sv_buf_puts(err, "the home directory ");
		quote(err, home);
		sv_buf_puts(err, " is not an absolute path");
		return false;
	}
	return true;
}

/* Append v, marking its bytes in mask as substituted. */
static void put_subst(struct sv_buf *out, struct sv_buf *mask, const char *v)
{
	size_t n = strlen(v);
	sv_buf_append(out, v, n);
	for (size_t i = 0; i < n; i++)
		sv_buf_putc(mask, 1);
}

/* A ".." segment with a substituted byte in it would let a value climb
 * out of the folder the template names. */
static bool climbs(const struct sv_buf *out, size_t start, const struct sv_buf *mask)
{
	size_t seg = start;
	for (size_t i = start; i <= out->len; i++) {
		if (i < out->len && out->p[i] != '/')
			continue;
		if (i - seg == 2 && out->p[seg] == '.' && out->p[seg + 1] == '.' &&
		    (mask->p[seg - start] || mask->p[seg - start + 1]))
			return true;
		seg = i + 1;
	}
	return false;
}

bool sv_conf_expand(const char *tmpl, const char *user, const char *home, const char *domain,
                    struct sv_buf *out, struct sv_buf *err)
{
	size_t start = out->len;
	struct sv_buf mask = SV_BUF_INIT;
	bool ok = true;
	for (size_t i = 0; ok && tmpl[i]; i++) {
		char ch = tmpl[i];
		if (ch == '~' && path_starts(tmpl, i)) {
			char next = tmpl[i + 1];
			if (next && next != '/' && next != ':') {
				sv_buf_puts(err,
				            "only '~' and '~/' are understood, not '~user', in ");
				quote(err, tmpl);
				ok = false;
			} else if ((ok = check_home(home, err)))
				put_subst(out, &mask, home);
			continue;
		}
		if (ch != '%') {
			sv_buf_putc(out, ch);
			sv_buf_putc(&mask, 0);
			continue;
		}
		switch (tmpl[++i]) {
		case '%':
			sv_buf_putc(out, '%');
			sv_buf_putc(&mask, 0);
			break;
		case 'u':
			if ((ok = check_name("the user name", user, err)))
				put_subst(out, &mask, user);
			break;
		case 'd':
			if ((ok = check_name("the domain", domain, err)))
				put_subst(out, &mask, domain);
			break;
		case 'h':
			if ((ok = check_home(home, err)))
				put_subst(out, &mask, home);
			break;
		case '\0':
			sv_buf_puts(err, "a lone '%' (%u, %d, %h or %%) at the end of ");
			quote(err, tmpl);
			ok = false;
			break;
		default:
			sv_buf_puts(err, "unknown escape '%");
			sv_buf_put_sanitized_char(err, tmpl + i, strlen(tmpl + i), NULL);
			sv_buf_puts(err, "' (%u, %d, %h or %%) in ");
			quote(err, tmpl);
			ok = false;
		}
	}
	if (ok && climbs(out, start, &mask)) {
		sv_buf_puts(err, "a substituted value would put '..' into ");
		quote(err, tmpl);
		ok = false;
	}
	sv_buf_free(&mask);
	if (!ok) {
		out->len = start;
		if (out->p)
			out->p[start] = '\0';
	}
	return ok;
}

/* ---- the file ---- */

struct load {
	struct sv_conf *c;
	struct sv_settings *s;
	const char *path;
	const char *p, *end; /* the rest of the file */
	int line;
	int err_line;                                        /* the first error's line; 0 none */
	struct sv_buf msg;                                   /* its reason */
	int seen_key[C__COUNT];                              /* line first set */
	int seen_setting[SV_SET__COUNT + SV_EXT_SETTINGS_MAX];
};

/* Keep the first error's line and reason. */
static void fail(struct load *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct load *l, const char *fmt, ...)
{
	if (l->err_line)
		return;
	l->err_line = l->line;
	va_list ap;
	va_start(ap, fmt);
	sv_buf_vprintf(&l->msg, fmt, ap);
	va_end(ap);
}

/* A section line (after leading blanks): only [sift], then at most a
 * comment. */
static bool section_ok(const char *p, size_t n)
{
	const char *end = memchr(p, ']', n);
	if (!end)
		return false;
	const char *a = p + 1, *b = end;
	while (a < b && (*a == ' ' || *a == '\t'))
		a++;
	while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
		b--;
	if (b - a != 4 || memcmp(a, "sift", 4) != 0)
		return false;
	for (const char *q = end + 1; q < p + n; q++) {
		if (*q == ';' || *q == '#')
			break;
		if (*q != ' ' && *q != '\t' && *q != '\r')
			return false;
	}
	return true;
}

/* The longest line inih can take whole (its buffer holds the newline, a
 * CR and the NUL besides), and ours. */
static size_t line_limit(int num)
{
	size_t inih = num > 3 ? (size_t)num - 3 : 0;
	return inih < CONF_MAX_LINE ? inih : CONF_MAX_LINE;
}

/* inih's fgets: one line of the file, checked. NULL ends the file, and
 * ends it early after the first error. */
static char *read_line(char *str, int num, void *stream)
{
	struct load *l = stream;
	if (l->err_line || l->p >= l->end)
		return NULL;
	const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	const char *p = l->p, *e = nl ? nl : l->end;
	l->p = nl ? nl + 1 : l->end;
	l->line++;
	if (l->line == 1 && e - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* a byte-order mark */
	size_t n = (size_t)(e - p);
	if (n > line_limit(num)) {
		fail(l, "line longer than %zu bytes", line_limit(num));
		return NULL;
	}
	if (memchr(p, '\0', n)) {
		fail(l, "NUL byte in the line");
		return NULL;
	}
	if (!sv_utf8_valid(p, n)) {
		fail(l, "invalid UTF-8 in the line");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if ((ch < 0x20 && ch != '\t' && !(ch == '\r' && i == n - 1)) || ch == 0x7f) {
			fail(l, "control character in the line");
			return NULL;
		}
	}
	/* no leading blanks: inih would take the line as a continuation */
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	if (n && *p == '[') {
		if (!section_ok(p, n)) {
			struct sv_buf q = SV_BUF_INIT;
			sv_buf_put_sanitized(&q, p, n, QUOTE_MAX);
			fail(l, "section %s: only [sift] is allowed", q.p);
			sv_buf_free(&q);
			return NULL;
		}
		n = 0; /* [sift] is the same as no section: inih need not know */
	}
	memcpy(str, p, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

/* A line set a key another line already set; aliases count as the key. */
static bool duplicate(struct load *l, int *seen, const char *key, const char *canonical)
{
	if (!*seen) {
		*seen = l->line;
		return false;
	}
	if (strcmp(key, canonical) == 0)
		fail(l, "duplicate key '%s', already set on line %d", key, *seen);
	else
		fail(l, "duplicate key '%s' (an alias of %s), already set on line %d", key,
		     canonical, *seen);
	return true;
}

static int on_pair(void *user, const char *section, const char *name, const char *value)
{
	struct load *l = user;
	if (l->err_line)
		return 0;
	if (section[0]) { /* read_line keeps sections from inih */
		fail(l, "section [%s]: only [sift] is allowed", section);
		return 0;
	}
	struct sv_buf why = SV_BUF_INIT;
	int id = conf_find(name), sid = id < 0 ? sv_settings_find(name) : -1;
	bool ok = false;
	if (id >= 0)
		ok = !duplicate(l, &l->seen_key[id], name, conf_keys[id].key) &&
		     set_value(l->c, id, value, &why);
	else if (sid >= 0)
		ok = !duplicate(l, &l->seen_setting[sid], name, sv_setting_info_of(sid)->key) &&
		     sv_settings_set(l->s, name, value, &why);
	else
		unknown_key(name, &why);
	if (!ok && why.len)
		fail(l, "%s", why.p);
	sv_buf_free(&why);
	return ok;
}

/* Read the whole file, bounded: SV_OK, or the status with the reason. */
static enum sv_status slurp(const char *path, bool must_exist, struct sv_buf *data, bool *missing_r,
                            struct sv_buf *err)
{
	*missing_r = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		if ((e == ENOENT || e == ENOTDIR) && !must_exist) {
			*missing_r = true;
			return SV_OK;
		}
		sv_buf_printf(err, "%s: cannot open: %s", path, strerror(e));
		return SV_TEMPFAIL;
	}
	struct stat st;
	enum sv_status rc = SV_OK;
	if (fstat(fd, &st) != 0) {
		sv_buf_printf(err, "%s: cannot stat: %s", path, strerror(errno));
		rc = SV_TEMPFAIL;
	} else if (S_ISDIR(st.st_mode)) {
		sv_buf_printf(err, "%s: cannot read: %s", path, strerror(EISDIR));
		rc = SV_TEMPFAIL;
	} else if (!S_ISREG(st.st_mode)) {
		sv_buf_printf(err, "%s: not a regular file", path);
		rc = SV_TEMPFAIL;
	}
	while (rc == SV_OK) {
		/* read one byte past the bound to see the file is too large */
		sv_buf_reserve(data, 64 * SV_KiB);
		size_t room = data->cap - data->len - 1;
		if (room > CONF_MAX_FILE + 1 - data->len)
			room = CONF_MAX_FILE + 1 - data->len;
		ssize_t got = read(fd, data->p + data->len, room);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			sv_buf_printf(err, "%s: cannot read: %s", path, strerror(errno));
			rc = SV_TEMPFAIL;
		} else if (got == 0) {
			break;
		} else {
			data->len += (size_t)got;
			data->p[data->len] = '\0';
			if (data->len > CONF_MAX_FILE) {
				sv_buf_printf(err, "%s: larger than %llu bytes", path,
				              (unsigned long long)CONF_MAX_FILE);
				rc = SV_CORRUPT;
			}
		}
	}
	close(fd);
	return rc;
}

/* Debian's libinih lets a program raise its line buffer (ini_max_line);
 * elsewhere it is the library's compile-time INI_MAX_LINE and read_line
 * keeps lines within it. Raised only while our parse runs; the setting is
 * the process's, so two threads must not load configurations at once
 * (sift's programs read theirs once, at start). */
static int parse(struct load *l)
{
#if HAVE_DECL_INI_MAX_LINE
	int saved = ini_max_line;
	ini_max_line = CONF_MAX_LINE + 3;
	int rc = ini_parse_stream(read_line, l, on_pair, l);
	ini_max_line = saved;
	return rc;
#else
	return ini_parse_stream(read_line, l, on_pair, l);
#endif
}

enum sv_status sv_conf_load(struct sv_conf *c, struct sv_settings *s, const char *path,
                            bool must_exist, struct sv_buf *err)
{
	struct sv_buf data = SV_BUF_INIT;
	bool missing;
	enum sv_status rc = slurp(path, must_exist, &data, &missing, err);
	if (rc != SV_OK || missing) {
		sv_buf_free(&data);
		return rc;
	}
	/* parse into copies, so an invalid file changes nothing */
	struct load l;
	memset(&l, 0, sizeof l);
	struct sv_conf tc;
	struct sv_settings ts;
	conf_copy(&tc, c);
	sv_settings_init(&ts);
	sv_settings_copy(&ts, s);
	l.c = &tc;
	l.s = &ts;
	l.path = path;
	l.p = data.p ? data.p : "";
	l.end = l.p + data.len;
	int bad = parse(&l);
	if (bad > 0 && (!l.err_line || bad < l.err_line)) {
		/* a line inih could not split, before any error of ours */
		l.err_line = bad;
		sv_buf_reset(&l.msg);
		sv_buf_puts(&l.msg, "cannot parse the line: expected 'key = value' or [sift]");
	} else if (bad < 0 && !l.err_line) {
		l.err_line = -1;
	}
	if (l.err_line > 0) {
		sv_buf_printf(err, "%s:%d: %s", path, l.err_line, l.msg.p);
		rc = SV_CORRUPT;
	} else if (l.err_line < 0) {
		sv_buf_printf(err, "%s: cannot parse: out of memory", path);
		rc = SV_NOMEM;
	}
	if (rc == SV_OK) {
		sv_conf_free(c);
		*c = tc;
		sv_settings_free(s);
		*s = ts;
	} else {
		sv_conf_free(&tc);
		sv_settings_free(&ts);
	}
	sv_buf_free(&l.msg);
	sv_buf_free(&data);
	return rc;
}

/* ---- documentation ---- */

void sv_conf_describe(struct sv_buf *out)
{
	for (int i = 0; i < C__COUNT; i++) {
		const struct conf_key *k = &conf_keys[i];
		switch (k->type) {
		case T_BOOL: sv_buf_printf(out, "%-22s default %s (yes|no)", k->key, k->def); break;
		case T_CHOICE:
			sv_buf_printf(out, "%-22s default %s (%s)", k->key, k->def, k->choices);
			break;
		case T_SIZE:
		case T_NUMBER:
		case T_SECONDS:
			sv_buf_printf(out, "%-22s default %s%s", k->key, k->def,
			              k->type == T_SECONDS ? "s" : "");
			if (k->max != UINT64_MAX)
				sv_buf_printf(out, " (%llu..%llu)", (unsigned long long)k->min,
				              (unsigned long long)k->max);
			break;
		default: sv_buf_printf(out, "%-22s default \"%s\"", k->key, k->def);
		}
		sv_buf_printf(out, "\n    %s\n", k->help);
	}
}
