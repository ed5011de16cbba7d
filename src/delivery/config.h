/*
 * config.h: sift.conf, the delivery configuration (sift.conf(5)).
 *
 * One file of "key = value" lines (INI syntax, read with libinih); '#' and
 * ';' start comments. Two kinds of keys share it: the delivery keys below
 * (where mail goes, where scripts are, how mail is sent, logging) and every
 * engine setting of limits.h by its key or alias (max-cpu-time, ...), which
 * land in a struct sv_settings. Unknown keys, bad values and sections other
 * than the optional [sift] are errors that name file and line: a config
 * that exists but is invalid stops the delivery with a temporary failure
 * rather than deliver under settings the admin did not mean. So is a key
 * set twice in one file (an alias counts as its key), a file over 1 MiB,
 * a line over 4096 bytes, a NUL byte, a control character or invalid
 * UTF-8. Keys are exact (lowercase); boolean and listed values are read
 * in any case.
 *
 * Layers (DESIGN.md §3), later ones win: built-in defaults (sv_conf_init,
 * sv_settings_init) -> sift.conf -> the per-user file the admin names with
 * user-config (optional; same syntax, owned by the admin, never by the
 * user) -> -o key=value.
 *
 * Path values may use "~" (the user's home, at the start), "%u" (user
 * name), "%d" (domain of the recipient), "%h" (home) and "%%"; they are
 * expanded for the user by sv_conf_expand when used, not when read.
 */
#ifndef SV_CONFIG_H
#define SV_CONFIG_H

#include <stdbool.h>

#include "delivery/store.h"
#include "delivery/submit.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/status.h"

/* Where a delivery's log lines go besides stderr (--log-stderr). */
enum sv_conf_log { SV_CONF_LOG_SYSLOG, SV_CONF_LOG_NONE };

struct sv_conf {
	/* owned copies (sv_free); defaults as in sift.conf(5) */
	char *mail_location;  /* mail-location = maildir:~/Maildir */
	struct sv_store_opts store; /* mailbox-autocreate, mailbox-separator,
				     * quota-bytes, quota-messages,
				     * quota-exceeded = tempfail|reject,
				     * lock-timeout */
	char *sieve_dir;      /* sieve-dir = ~/sieve */
	char *sieve_active;   /* sieve-active = ~/.sieve (symlink into sieve-dir;
			       * ~/.dovecot.sieve is used when this is absent
			       * and the key was not set) */
	char *sieve_before;   /* sieve-before = (folder of global scripts run
			       * first, in name order; "" none) */
	char *sieve_after;    /* sieve-after = (same, run last) */
	char *sieve_global;   /* sieve-global = (folder of include :global
			       * scripts, never written; "" none) */
	char *sieve_log;      /* sieve-log = (per-user log of script errors;
			       * "": the active script's path + ".log") */
	char *state_dir;      /* state-dir = ~/.sift (vacation, duplicate) */
	char *metadata;       /* metadata = file:~/.sift/metadata (the user's
			       * mailbox annotations, delivery/metadata.h;
			       * "" none) */
	char *server_metadata; /* server-metadata = (the server's annotations;
				* "" none) */
	char *state;          /* state = (sqlite:PATH, redis:...; "": sqlite:
			       * state-dir/state.db) */
	char *user_config;    /* user-config = (per-user layer; "" none) */
	char *virtual_home;   /* virtual-home = (home of a virtual user named by
			       * -d when not root, as a pipe(8) transport with
			       * user=vmail runs; "" none) */
	struct sv_submit_opts submit; /* sendmail, smtp-relay,
				       * smtp-starttls = no|may|required,
				       * smtp-tls-ca, smtp-helo, smtp-timeout */
	char *postmaster;     /* postmaster-address = (From of mail sift
			       * generates; "": postmaster@<host name>) */
	enum sv_conf_log log;        /* log = syslog|none */
	int syslog_facility;         /* syslog-facility = mail (LOG_MAIL) ... local7 */
	bool debug;                  /* log-debug = no */
	bool sieve_active_set;       /* sieve-active was given (a file or -o), so
				      * the ~/.dovecot.sieve fallback is off */
	/* private: the owned strings submit's pointers refer to */
	struct {
		char *sendmail, *relay, *tls_ca, *helo;
	} own_;
};

/* Built-in defaults. */
void sv_conf_init(struct sv_conf *c);
void sv_conf_free(struct sv_conf *c);

/*
 * Read the file at path into c and s (engine settings). A missing file
 * (ENOENT, ENOTDIR) is SV_OK with nothing changed when must_exist is false
 * (a fresh install with no sift.conf), SV_TEMPFAIL otherwise. A file that
 * cannot be read (EACCES, a folder, not a regular file, I/O) is
 * SV_TEMPFAIL with "path: reason" in err; an invalid one SV_CORRUPT with
 * "path:line: reason" ("path: reason" when the file is too large). c and
 * s change only when the result is SV_OK: an invalid file applies no line.
 * A user-config layer is a second call on the same c and s.
 */
enum sv_status sv_conf_load(struct sv_conf *c, struct sv_settings *s, const char *path,
			    bool must_exist, struct sv_buf *err);

/* Set one key (a delivery key or an engine setting, as -o gives it);
 * false with the reason appended to err when the key is unknown ("unknown
 * key 'x' (did you mean 'y'?)") or the value bad ("key: reason"), and
 * nothing changed. Setting sieve-active sets sieve_active_set. */
bool sv_conf_set(struct sv_conf *c, struct sv_settings *s, const char *key, const char *value,
		 struct sv_buf *err);

/* "key=value" as -o takes it. */
bool sv_conf_set_option(struct sv_conf *c, struct sv_settings *s, const char *opt,
			struct sv_buf *err);

/* Expand a path value for a user (see above), appending to out; false
 * with the reason appended to err, and out as it was, when it names
 * something unknown ("%x", a lone '%', "~user") or needs a value that is
 * missing (NULL or ""). "~" is the home where a path begins: at the start,
 * after "maildir:" or "mbox:", after ":INBOX="; elsewhere it is a
 * character. Refused, so a substituted value cannot lead elsewhere: a
 * home that is not absolute, a user or domain that is "." or "..", or
 * holds '/' or a control character, and any ".." path segment a
 * substituted value makes. The template's own ".." stays. */
bool sv_conf_expand(const char *tmpl, const char *user, const char *home, const char *domain,
		    struct sv_buf *out, struct sv_buf *err);

/* Print every delivery key with its default and meaning (sievec --settings
 * style), for sift.conf(5) and `sieve-deliver --settings`. */
void sv_conf_describe(struct sv_buf *out);

#endif
