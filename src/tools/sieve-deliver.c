/*
 * sieve-deliver: the local delivery agent (sieve-deliver(8)). The MTA runs
 * it once per recipient with the message on standard input; it runs the
 * admin's and the user's Sieve scripts and carries out their result as one
 * transaction (src/delivery/execute.c).
 *
 * The exit status is what the MTA acts on (../shared/notes/lda.md): 0 only
 * once the message is durably stored, 75 for everything that may work
 * later (the MTA retries, and the transaction guarantees the retry
 * delivers once), 67 for an unknown user, 77 for a permanent refusal. A
 * one-line "X.Y.Z text" (RFC 3463) goes to stderr before a non-zero exit.
 * A script that does not compile or fails at run time is never a delivery
 * failure: the message is kept.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "delivery/config.h"
#include "delivery/execute.h"
#include "delivery/lda.h"
#include "delivery/metadata.h"
#include "delivery/run.h"
#include "delivery/scripts.h"
#include "ext/reject.h"
#include "lib/alloc.h"
#include "parser/compile.h"
#include "mail/message.h"
#include "tools/common.h"
#include "vm/result.h"

#ifndef SIFT_SYSCONFDIR
#define SIFT_SYSCONFDIR "/etc"
#endif

#define EX_OK_ 0
#define EX_USAGE_ 64
#define EX_NOUSER_ 67
#define EX_TEMPFAIL_ 75
#define EX_NOPERM_ 77

/* the largest message written before the scripts decide where it goes */
#define STAGE_MAX (1024 * 1024)

/* Everything one delivery holds, so that every exit path can clean up. */
struct lda {
	/* options */
	const char *user_opt, *from_opt, *orig_opt, *final_opt, *mailbox_opt, *file_opt;
	const char *config_opt, *script_opt, *client_ip, *client_host, *helo, *queue_id;
	const char **sets;
	size_t nsets;
	const char **addresses; /* --user-address: the user's own (vacation) */
	size_t naddresses;
	bool reject_exit, log_stderr;
	/* state */
	bool input_read;
	struct sv_conf conf;
	struct sv_settings settings;
	struct sv_buf msg;
	char *user, *home;
	uid_t uid;
	gid_t gid;
	struct timeval start;
	char hostname[256];
	bool syslog_open;
	struct sv_buf actions; /* for the log line */
	struct sv_buf last_error; /* the transaction's last failure, for the status line */
};

static struct lda L;

static void log_open(void)
{
	if (L.syslog_open || L.conf.log == SV_CONF_LOG_NONE)
		return;
	openlog("sieve-deliver", LOG_PID | LOG_NDELAY, L.conf.syslog_facility);
	L.syslog_open = true;
}

static void logv(int prio, const char *fmt, va_list ap)
{
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_vprintf(&b, fmt, ap);
	if (L.log_stderr)
		fprintf(stderr, "sieve-deliver: %s\n", b.p ? b.p : "");
	if (L.conf.log != SV_CONF_LOG_NONE && (prio != LOG_DEBUG || L.conf.debug)) {
		log_open();
		syslog(prio, "%s", b.p ? b.p : "");
	}
	sv_buf_free(&b);
}

static void logf_(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(int prio, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	logv(prio, fmt, ap);
	va_end(ap);
}

/* Read what is left of the input, so the MTA never sees a broken pipe
 * and a message is never "delivered" unread. */
static void drain_input(void)
{
	if (L.input_read || L.file_opt)
		return;
	char buf[65536];
	for (;;) {
		ssize_t r = read(0, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
	}
	L.input_read = true;
}

/* Leave with an exit status and, for a failure, its "X.Y.Z text" line. */
static int finish(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int finish(int code, const char *fmt, ...)
{
	drain_input();
	if (fmt) {
		struct sv_buf b = SV_BUF_INIT;
		va_list ap;
		va_start(ap, fmt);
		sv_buf_vprintf(&b, fmt, ap);
		va_end(ap);
		/* one line: the MTA quotes it in its notice */
		for (size_t i = 0; i < b.len; i++)
			if (b.p[i] == '\n' || b.p[i] == '\r')
				b.p[i] = ' ';
		fprintf(stderr, "%s\n", b.p ? b.p : "");
		if (L.conf.log != SV_CONF_LOG_NONE) {
			log_open();
			syslog(code == EX_TEMPFAIL_ ? LOG_WARNING : LOG_ERR, "%s%s%s: %s",
			       L.queue_id ? L.queue_id : "", L.queue_id ? ": " : "",
			       L.user ? L.user : "-", b.p ? b.p : "");
		}
		sv_buf_free(&b);
	}
	fflush(stdout);
	return code;
}

static void usage(FILE *f)
{
	fputs("usage: sieve-deliver [-d USER] [-f SENDER] [-a ORIGINAL_RECIPIENT]\n"
	      "                     [-r FINAL_RECIPIENT] [-m MAILBOX] [-p FILE] [-e]\n"
	      "                     [-c CONFIG] [-o KEY=VALUE]... [-s SCRIPT]\n"
	      "                     [--client-ip IP] [--client-host NAME] [--helo NAME]\n"
	      "                     [--queue-id ID] [--log-stderr]\n"
	      "Deliver the message on standard input through the user's Sieve scripts.\n\n"
	      "  -d USER        deliver for USER (required as root; switches to the user)\n"
	      "  -f SENDER      envelope sender (default: $SENDER, the From line, Return-Path)\n"
	      "  -a ADDRESS     original recipient (default: $ORIGINAL_RECIPIENT)\n"
	      "  -r ADDRESS     final recipient (default: $RECIPIENT)\n"
	      "  -m MAILBOX     keep into MAILBOX instead of INBOX (INBOX when it cannot)\n"
	      "  -p FILE        read the message from FILE instead of standard input\n"
	      "  -e             on reject or ereject: the reason on stderr and exit 77\n"
	      "  -c CONFIG      read CONFIG instead of " SIFT_SYSCONFDIR "/sift/sift.conf\n"
	      "  -o KEY=VALUE   set a sift.conf key or an engine setting\n"
	      "  -s SCRIPT      run SCRIPT instead of the user's active script\n"
	      "  --client-ip IP, --client-host NAME, --helo NAME, --queue-id ID\n"
	      "                 what the MTA knows of the SMTP session\n"
	      "  --log-stderr   copy log lines to standard error\n"
	      "  --user-address ADDRESS\n"
	      "                 one of the user's own addresses (vacation replies only to\n"
	      "                 mail addressed to the user); repeatable\n"
	      "  --help, --version\n",
	      f);
}

/* ---- the user ---- */

/* mkdir -p, each new level 0700 */
static bool make_dirs(char *path)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode);
	char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		*slash = '\0';
		bool ok = make_dirs(path);
		*slash = '/';
		if (!ok)
			return false;
	}
	return mkdir(path, 0700) == 0 || errno == EEXIST;
}

/* -d names a virtual user (sift.conf virtual-home; not root): the
 * delivery stays with the account that runs it, in the virtual home. */
static int become_virtual(void)
{
	const char *at = strrchr(L.user_opt, '@');
	const char *rcpt = L.final_opt && *L.final_opt ? L.final_opt
			   : L.orig_opt && *L.orig_opt ? L.orig_opt
			   : getenv("RECIPIENT")	   ? getenv("RECIPIENT")
						   : getenv("ORIGINAL_RECIPIENT");
	const char *rat = rcpt ? strrchr(rcpt, '@') : NULL;
	const char *domain = at ? at + 1 : rat ? rat + 1 : "";
	struct sv_buf home = SV_BUF_INIT, err = SV_BUF_INIT;
	if (!sv_conf_expand(L.conf.virtual_home, L.user_opt, "/nonexistent", domain, &home, &err)) {
		int rc = finish(EX_TEMPFAIL_, "4.3.5 virtual-home for %s: %s", L.user_opt,
				err.p ? err.p : "cannot expand");
		sv_buf_free(&home);
		sv_buf_free(&err);
		return rc;
	}
	sv_buf_free(&err);
	if (!home.p || home.p[0] != '/' || !make_dirs(home.p)) {
		int rc = finish(EX_TEMPFAIL_, "4.2.0 cannot create the home %s of virtual user %s: %s",
				home.p ? home.p : "", L.user_opt, strerror(errno));
		sv_buf_free(&home);
		return rc;
	}
	L.user = sv_strdup(L.user_opt);
	L.home = sv_strdup(home.p);
	L.uid = geteuid();
	L.gid = getegid();
	sv_buf_free(&home);
	return -1;
}

/* Become the user of -d (as root), or check that -d names who we are. */
static int become_user(void)
{
	uid_t euid = geteuid();
	struct passwd *pw = NULL;
	if (L.user_opt) {
		errno = 0;
		pw = getpwnam(L.user_opt);
		if (!pw && euid != 0 && L.conf.virtual_home && *L.conf.virtual_home)
			return become_virtual();
		if (!pw) {
			if (errno != 0 && errno != ENOENT && errno != ESRCH && errno != EBADF &&
			    errno != EPERM)
				return finish(EX_TEMPFAIL_, "4.3.0 cannot look up user %s: %s",
					      L.user_opt, strerror(errno));
			return finish(EX_NOUSER_, "5.1.1 unknown user %s", L.user_opt);
		}
		if (euid == 0) {
			if (pw->pw_uid == 0)
				return finish(EX_TEMPFAIL_,
					      "4.3.5 will not deliver as root: -d names a root account");
			if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
			    setuid(pw->pw_uid) != 0)
				return finish(EX_TEMPFAIL_, "4.3.0 cannot switch to user %s: %s",
					      pw->pw_name, strerror(errno));
			/* no way back */
			if (setuid(0) == 0 || geteuid() != pw->pw_uid || getegid() != pw->pw_gid)
				return finish(EX_TEMPFAIL_, "4.3.0 dropping privileges failed");
		} else if (pw->pw_uid != euid) {
			if (L.conf.virtual_home && *L.conf.virtual_home)
				return become_virtual();
			return finish(EX_TEMPFAIL_,
				      "4.3.5 -d %s: running as uid %lu, which is not that user "
				      "(only root can deliver for others; virtual users need "
				      "virtual-home)",
				      L.user_opt, (unsigned long)euid);
		}
	} else {
		if (euid == 0)
			return finish(EX_TEMPFAIL_,
				      "4.3.5 started as root without -d USER: refusing to deliver "
				      "as root");
		pw = getpwuid(euid);
	}
	const char *name = pw ? pw->pw_name : getenv("USER");
	const char *home = pw ? pw->pw_dir : getenv("HOME");
	/* Postfix local(8) says who and where in the environment; it runs
	   as the user already, and the passwd entry is the same user */
	if (!L.user_opt && getenv("HOME") && *getenv("HOME"))
		home = getenv("HOME");
	if (!name || !*name)
		return finish(EX_TEMPFAIL_, "4.3.0 cannot tell which user uid %lu is",
			      (unsigned long)euid);
	if (!home || home[0] != '/')
		return finish(EX_TEMPFAIL_, "4.3.0 user %s has no home folder", name);
	L.user = sv_strdup(name);
	L.home = sv_strdup(home);
	L.uid = geteuid();
	L.gid = getegid();
	struct stat st;
	if (stat(L.home, &st) != 0 || !S_ISDIR(st.st_mode))
		return finish(EX_TEMPFAIL_, "4.2.0 home folder %s of user %s is missing", L.home,
			      L.user);
	return -1;
}

/* ---- the message ---- */

static int read_message(void)
{
	int fd = 0;
	if (L.file_opt) {
		fd = open(L.file_opt, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return finish(EX_TEMPFAIL_, "4.3.0 cannot open %s: %s", L.file_opt,
				      strerror(errno));
	}
	uint64_t max = L.settings.max_message_size;
	bool too_big = false;
	char buf[65536];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			if (fd != 0)
				close(fd);
			return finish(EX_TEMPFAIL_, "4.3.0 reading the message failed: %s",
				      strerror(e));
		}
		if (r == 0)
			break;
		if (too_big || L.msg.len + (size_t)r > max) {
			too_big = true; /* read on to the end, keep nothing */
			continue;
		}
		sv_buf_append(&L.msg, buf, (size_t)r);
	}
	if (fd != 0)
		close(fd);
	else
		L.input_read = true;
	if (too_big)
		return finish(EX_NOPERM_, "5.3.4 message is larger than max-message-size (%llu bytes)",
			      (unsigned long long)max);
	return -1;
}

/* ---- the per-user script log ---- */

struct script_log {
	const char *path; /* NULL: none */
};

/* Append lines to the user's log of script errors, bounded: past 1 MiB
 * the old log is moved aside to PATH.old. */
static void user_log(const struct script_log *sl, const char *text)
{
	if (!sl->path)
		return;
	struct stat st;
	if (lstat(sl->path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return; /* a symlink or something else: not ours to write */
		if (st.st_size > 1024 * 1024) {
			struct sv_buf old = SV_BUF_INIT;
			sv_buf_printf(&old, "%s.old", sl->path);
			(void)rename(sl->path, old.p);
			sv_buf_free(&old);
		}
	}
	int fd = open(sl->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	struct sv_buf b = SV_BUF_INIT;
	time_t now = time(NULL);
	struct tm tm;
	char when[32];
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
	sv_buf_printf(&b, "%s sieve-deliver", when);
	if (L.queue_id)
		sv_buf_printf(&b, " %s", L.queue_id);
	sv_buf_printf(&b, ": %s", text);
	if (!b.len || b.p[b.len - 1] != '\n')
		sv_buf_putc(&b, '\n');
	ssize_t w = write(fd, b.p, b.len);
	(void)w;
	close(fd);
	sv_buf_free(&b);
}

/* The log of a run: errors of scripts go to syslog and, for the user's
 * own script, to the user's log. */
struct run_log {
	const struct script_log *sl;
};

static void run_log_write(void *ctx, enum sv_log_level level, const char *text)
{
	(void)ctx;
	int prio = level == SV_LOG_ERROR     ? LOG_ERR
		   : level == SV_LOG_WARNING ? LOG_WARNING
		   : level == SV_LOG_INFO    ? LOG_INFO
					     : LOG_DEBUG;
	logf_(prio, "%s%s%s: %s", L.queue_id ? L.queue_id : "", L.queue_id ? ": " : "", L.user,
	      text);
}

/* What the transaction could not do concerns the user's own actions: the
 * user's log hears of it too. (The chain's errors go to syslog only, since
 * they may be the admin's scripts; the user's own are told separately.) */
static void exec_error(void *ctx, const char *text)
{
	struct run_log *rl = ctx;
	run_log_write(ctx, SV_LOG_ERROR, text);
	if (rl->sl)
		user_log(rl->sl, text);
	sv_buf_reset(&L.last_error);
	sv_buf_put_sanitized(&L.last_error, text, strlen(text), 300);
}

/* The status code a failure names ("... 4.2.2 Mailbox is full"), else
 * what its errno text says, else def. */
static const char *status_code(const char *why, const char *def)
{
	static char code[6];
	for (const char *p = why; p && *p; p++) {
		if ((p[0] == '4' || p[0] == '5') && p[1] == '.' && p[2] >= '0' && p[2] <= '9' &&
		    p[3] == '.' && p[4] >= '0' && p[4] <= '9' && (p == why || p[-1] == ' ') &&
		    (p[5] == ' ' || p[5] == '\0')) {
			memcpy(code, p, 5);
			code[5] = '\0';
			return code;
		}
	}
	if (why && strstr(why, strerror(ENOSPC)))
		return def[0] == '4' ? "4.3.1" : def; /* mail system full */
	if (why && strstr(why, strerror(EDQUOT)))
		return def[0] == '4' ? "4.2.2" : def; /* mailbox full */
	return def;
}

/* ---- main ---- */

/* The include key of the user's active script when it lives in the
 * folder include :personal reads (RFC 6609 §3.2: a script including
 * itself is a cycle); nothing otherwise. */
static void personal_key(const char *script, const char *dir, struct sv_buf *key)
{
	char *rs = realpath(script, NULL), *rd = realpath(dir, NULL);
	char *slash = rs ? strrchr(rs, '/') : NULL;
	if (slash && rd && (size_t)(slash - rs) == strlen(rd) && strncmp(rs, rd, strlen(rd)) == 0) {
		struct sv_buf name = SV_BUF_INIT;
		sv_script_name(rs, &name);
		sv_buf_printf(key, "personal:%s", name.p ? name.p : "");
		sv_buf_free(&name);
	}
	free(rs);
	free(rd);
}

static bool expand(const char *tmpl, const char *domain, struct sv_buf *out)
{
	struct sv_buf err = SV_BUF_INIT;
	bool ok = sv_conf_expand(tmpl, L.user, L.home, domain, out, &err);
	if (!ok)
		logf_(LOG_ERR, "%s", err.p ? err.p : "bad path");
	sv_buf_free(&err);
	return ok;
}

/* metadata = [file:]PATH (delivery/metadata.h): the expanded, absolute
 * path in out, left empty when the key is empty. */
static bool metadata_path(const char *tmpl, const char *domain, struct sv_buf *out)
{
	if (!tmpl || !*tmpl)
		return true;
	if (strncmp(tmpl, "file:", 5) == 0)
		tmpl += 5;
	if (!expand(tmpl, domain, out))
		return false;
	if (!out->p || out->p[0] != '/') {
		logf_(LOG_ERR, "metadata file %s is not an absolute path", out->p ? out->p : "");
		return false;
	}
	return true;
}

static const char *domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	return at ? at + 1 : "";
}

/* sift.conf's state: sqlite:PATH with PATH expanded, a Redis location as
 * written (a password may hold '%'), or by default state-dir/state.db. */
static bool state_location(const char *domain, struct sv_buf *out)
{
	const char *v = L.conf.state;
	if (v && *v && strncmp(v, "sqlite:", 7) != 0) {
		sv_buf_puts(out, v);
		return true;
	}
	sv_buf_puts(out, "sqlite:");
	if (v && *v)
		return expand(v + 7, domain, out);
	if (!expand(L.conf.state_dir, domain, out))
		return false;
	sv_buf_puts(out, "/state.db");
	return true;
}

/* What the state store repaired (a damaged database moved aside). */
static void state_warn(void *ctx, const char *text)
{
	(void)ctx;
	logf_(LOG_WARNING, "%s%s%s: state store: %s", L.queue_id ? L.queue_id : "",
	      L.queue_id ? ": " : "", L.user, text);
}

static int deliver(void)
{
	int rc;
	/* the user first: everything after runs as the user */
	if ((rc = become_user()) >= 0)
		return rc;
	/* the per-user layer of the configuration, then -o again on top */
	if (L.conf.user_config && *L.conf.user_config) {
		struct sv_buf path = SV_BUF_INIT, err = SV_BUF_INIT;
		if (!expand(L.conf.user_config, "", &path))
			return finish(EX_TEMPFAIL_, "4.3.5 bad user-config path");
		enum sv_status st = sv_conf_load(&L.conf, &L.settings, path.p, false, &err);
		if (st != SV_OK) {
			rc = finish(EX_TEMPFAIL_, "4.3.5 %s", err.p ? err.p : "bad configuration");
			sv_buf_free(&path);
			sv_buf_free(&err);
			return rc;
		}
		for (size_t i = 0; i < L.nsets; i++)
			(void)sv_conf_set_option(&L.conf, &L.settings, L.sets[i], &err);
		sv_buf_free(&path);
		sv_buf_free(&err);
	}
	if ((rc = read_message()) >= 0)
		return rc;

	/* the message as it is stored: no From line, LF line ends */
	struct sv_buf from_line = SV_BUF_INIT, rp = SV_BUF_INIT, scratch = SV_BUF_INIT;
	sv_lda_normalize(&L.msg, &from_line);
	struct sv_buf rpv = SV_BUF_INIT;
	bool has_rp = sv_lda_header(L.msg.p ? L.msg.p : "", L.msg.len, "Return-Path", &rpv);
	if (has_rp)
		sv_lda_angle_addr(rpv.p ? rpv.p : "", rpv.len, &rp);
	struct sv_lda_sources src = {
	    .opt_from = L.from_opt,
	    .opt_orig = L.orig_opt,
	    .opt_final = L.final_opt,
	    .env_sender = getenv("SENDER"),
	    .env_orig = getenv("ORIGINAL_RECIPIENT"),
	    .env_recipient = getenv("RECIPIENT"),
	    .from_line = from_line.len ? from_line.p : NULL,
	    .return_path = has_rp ? (rp.p ? rp.p : "") : NULL,
	    .user = L.user,
	    .host = L.hostname,
	};
	struct sv_lda_envelope env;
	sv_lda_envelope(&src, &env, &scratch);
	const char *client_ip = L.client_ip ? L.client_ip : getenv("CLIENT_ADDRESS");
	const char *client_host = L.client_host ? L.client_host : getenv("CLIENT_HOSTNAME");
	const char *helo = L.helo ? L.helo : getenv("CLIENT_HELO");

	if (!L.msg.p)
		sv_buf_reserve(&L.msg, 1);
	L.msg.p[L.msg.len] = '\0';
	struct sv_msg *m = sv_msg_new_borrowed(L.msg.p, L.msg.len);
	struct sv_buf msgid = SV_BUF_INIT;
	(void)sv_lda_header(L.msg.p, L.msg.len, "Message-ID", &msgid);

	struct sv_run run;
	sv_run_init(&run, m, &L.settings);
	run.env.from = sv_run_strdup(&run, env.from);
	run.env.to = sv_run_strdup(&run, env.final_to);
	run.env.orig_to = sv_run_strdup(&run, env.orig_to);
	run.env.final_to = run.env.to;
	run.env.client_ip = sv_run_strdup(&run, client_ip && *client_ip ? client_ip : NULL);
	/* Postfix says "unknown" when the client's name did not verify */
	run.env.client_host = sv_run_strdup(
	    &run, client_host && *client_host && strcmp(client_host, "unknown") != 0 ? client_host
	                                                                               : NULL);
	run.env.helo = sv_run_strdup(&run, helo && *helo ? helo : NULL);
	run.env.queue_id = sv_run_strdup(&run, L.queue_id);
	/* the user's own addresses: the envelope's recipients and --user-address */
	const char **addrs = sv_calloc(L.naddresses + 2, sizeof *addrs);
	size_t naddrs = 0;
	addrs[naddrs++] = run.env.to;
	if (strcmp(run.env.to, run.env.orig_to) != 0)
		addrs[naddrs++] = run.env.orig_to;
	for (size_t i = 0; i < L.naddresses; i++)
		addrs[naddrs++] = L.addresses[i];
	run.user = (struct sv_user){.name = L.user,
				    .home = L.home,
				    .uid = L.uid,
				    .gid = L.gid,
				    .addresses = addrs,
				    .naddresses = naddrs};
	const char *domain = domain_of(run.env.to);

	/* the scripts: before, the user's, after */
	struct sv_dlv_scripts scripts;
	sv_dlv_scripts_init(&scripts);
	struct script_log sl = {0};
	struct sv_buf logpath = SV_BUF_INIT, p1 = SV_BUF_INIT, p2 = SV_BUF_INIT;
	struct run_log rl = {&sl};
	int result = -1;
	if (L.conf.sieve_before && *L.conf.sieve_before) {
		if (!expand(L.conf.sieve_before, domain, &p1))
			result = finish(EX_TEMPFAIL_, "4.3.5 bad sieve-before path");
		else
			sv_dlv_scripts_add_folder(&scripts, p1.p, true);
	}
	const char *personal = NULL;
	if (result < 0 && L.script_opt) {
		personal = L.script_opt;
	} else if (result < 0) {
		if (!expand(L.conf.sieve_active, domain, &p2)) {
			result = finish(EX_TEMPFAIL_, "4.3.5 bad sieve-active path");
		} else {
			personal = p2.p;
			struct stat st;
			if (lstat(personal, &st) != 0 && !L.conf.sieve_active_set) {
				/* a Dovecot user's layout keeps working (when there
				   is neither, the log stays beside ~/.sieve) */
				struct sv_buf dv = SV_BUF_INIT;
				sv_buf_printf(&dv, "%s/.dovecot.sieve", L.home);
				if (lstat(dv.p, &st) == 0) {
					sv_buf_free(&p2);
					p2 = dv;
					personal = p2.p;
				} else {
					sv_buf_free(&dv);
				}
			}
		}
	}
	if (result < 0 && personal) {
		if (L.conf.sieve_log && *L.conf.sieve_log) {
			if (expand(L.conf.sieve_log, domain, &logpath))
				sl.path = logpath.p;
		} else {
			sv_buf_printf(&logpath, "%s.log", personal);
			sl.path = logpath.p;
		}
		sv_dlv_scripts_add_file(&scripts, personal, false, L.script_opt == NULL);
	}
	if (result < 0 && L.conf.sieve_after && *L.conf.sieve_after) {
		struct sv_buf p3 = SV_BUF_INIT;
		if (expand(L.conf.sieve_after, domain, &p3))
			sv_dlv_scripts_add_folder(&scripts, p3.p, true);
		else
			result = finish(EX_TEMPFAIL_, "4.3.5 bad sieve-after path");
		sv_buf_free(&p3);
	}

	/* the scripts include reaches (RFC 6609): the user's folder, whose
	   .svbin files are written, and the admin's, never written */
	struct sv_buf incp = SV_BUF_INIT, incg = SV_BUF_INIT, key = SV_BUF_INIT;
	struct sv_script_resolver resolver;
	bool has_p = L.conf.sieve_dir && *L.conf.sieve_dir && expand(L.conf.sieve_dir, domain, &incp);
	bool has_g = L.conf.sieve_global && *L.conf.sieve_global &&
		     expand(L.conf.sieve_global, domain, &incg);
	sv_dlv_resolver_init(&resolver, has_p ? incp.p : NULL, has_g ? incg.p : NULL, &L.settings);
	run.resolver = &resolver;
	if (has_p && personal)
		personal_key(personal, incp.p, &key);

	/* the services */
	struct sv_store *store = NULL;
	struct sv_submission *sub = NULL;
	struct sv_buf loc = SV_BUF_INIT, err = SV_BUF_INIT;
	if (result < 0 && !expand(L.conf.mail_location, domain, &loc))
		result = finish(EX_TEMPFAIL_, "4.3.5 bad mail-location");
	if (result < 0) {
		enum sv_status st = sv_dlv_store_open(loc.p, &L.conf.store, &store, &err);
		if (st != SV_OK)
			result = finish(EX_TEMPFAIL_, "4.2.0 cannot open the mail store %s: %s", loc.p,
					err.p ? err.p : sv_status_name(st));
		else {
			store->env_sender = run.env.from;
			store->env_time = run.now;
			/* most messages are filed: the disk writes this one while
			   the scripts run (up to 1 MiB, which bounds what a discard
			   wastes) */
			if (store->stage && L.msg.len <= STAGE_MAX)
				store->stage(store, L.msg.p, L.msg.len, 1);
		}
	}
	if (result < 0) {
		sv_buf_reset(&err);
		if (sv_dlv_submission_open(&L.conf.submit, &sub, &err) != SV_OK) {
			/* mail can still be filed; a redirect will fail and keep */
			logf_(LOG_WARNING, "cannot send mail: %s", err.p ? err.p : "");
			sub = NULL;
		}
	}

	/* the annotations mboxmetadata and servermetadata read (opened
	   here, read only when a script asks) */
	struct sv_metadata *md = NULL;
	struct sv_buf mdu = SV_BUF_INIT, mds = SV_BUF_INIT;
	if (result < 0) {
		if (!metadata_path(L.conf.metadata, domain, &mdu) ||
		    !metadata_path(L.conf.server_metadata, domain, &mds))
			result = finish(EX_TEMPFAIL_, "4.3.5 bad metadata path");
		else
			md = sv_dlv_metadata_files(mdu.p, mds.p);
	}
	/* the state store (vacation, duplicate), opened when a script first
	   asks it something */
	struct sv_run_state state;
	struct sv_buf sloc = SV_BUF_INIT;
	if (result < 0 && !state_location(domain, &sloc))
		result = finish(EX_TEMPFAIL_, "4.3.5 bad state location");
	struct sv_state_opts sopts;
	sv_state_opts_init(&sopts);
	sopts.now = run.now;
	sopts.warn = state_warn;
	sv_run_state_init(&state, sloc.p, L.user, &sopts, false);
	run.state = &state;

	struct sv_result res;
	sv_result_init(&res, &L.settings);
	size_t nran = 0;
	if (result < 0) {
		run.store = store;
		run.submit = sub;
		run.metadata = md;
		run.log = (struct sv_log){run_log_write, &rl};
		/* compile (or load from the cache) every script; one that does
		   not compile is logged and left out: the message is kept */
		struct sv_chain_script *chain = sv_calloc(scripts.n ? scripts.n : 1, sizeof *chain);
		size_t nchain = 0;
		bool retry = false;
		for (size_t i = 0; i < scripts.n && !retry; i++) {
			struct sv_dlv_script *s = &scripts.v[i];
			struct sv_buf text = SV_BUF_INIT;
			enum sv_status st = sv_dlv_script_load(s, &L.settings, &text);
			if (st == SV_OK) {
				chain[nchain++] = (struct sv_chain_script){
				    s->bin, s->name, !s->global && key.len ? key.p : NULL};
				if (s->stale)
					logf_(LOG_WARNING,
					      "global script %s has no current binary: compiled for "
					      "this delivery; precompile it with sievec",
					      s->path);
			} else if (st == SV_TEMPFAIL || st == SV_NOMEM) {
				/* never bypass a filter that may read fine in a moment */
				logf_(LOG_ERR, "%s", text.p ? text.p : sv_status_name(st));
				retry = true;
			} else if (!s->missing_ok || !s->missing) {
				struct sv_buf t = SV_BUF_INIT;
				sv_buf_printf(&t, "%s%sthe script was not run; the message is kept",
					      text.p ? text.p : "",
					      text.len && text.p[text.len - 1] == '\n' ? "" : "\n");
				run_log_write(&rl, SV_LOG_ERROR, t.p);
				if (!s->global)
					user_log(&sl, t.p);
				sv_buf_free(&t);
			}
			sv_buf_free(&text);
		}
		if (retry) {
			nchain = 0;
			result = finish(EX_TEMPFAIL_, "4.3.0 a script of %s cannot be read now", L.user);
		}
		struct sv_chain_report rep = {0};
		enum sv_status st =
		    result < 0 ? sv_dlv_run_chain(&run, chain, nchain, &res, &rep) : SV_OK;
		nran = rep.ran;
		/* (a state store that failed defers the delivery below: the
		   message is not kept now) */
		if (st == SV_TEMPFAIL && result < 0) {
			/* a script could not run to its end for a passing reason:
			   a message kept without its filter could not be filed
			   again, so the MTA retries */
			result = finish(EX_TEMPFAIL_, "4.3.0 %s: %s; try again later",
			                rep.error_script ? rep.error_script : "script",
			                rep.error.p ? rep.error.p : "temporary failure");
		} else if (st != SV_OK && state.failed == SV_OK) {
			/* the chain logged it; the user hears of it too */
			bool own = false;
			for (size_t i = 0; i < scripts.n; i++)
				if (scripts.v[i].name == rep.error_script && !scripts.v[i].global)
					own = true;
			if (own) {
				struct sv_buf t = SV_BUF_INIT;
				sv_buf_printf(&t, "%s: line %u: error: %s; the message was kept",
					      rep.error_script, rep.error_line,
					      rep.error.p ? rep.error.p : "runtime error");
				user_log(&sl, t.p);
				sv_buf_free(&t);
			}
		}
		sv_chain_report_free(&rep);
		sv_free(chain);
		/* RFC 5490 §5: annotations that cannot be read now are like a
		   script that cannot be read now */
		if (result < 0 && md && md->unavailable)
			result = finish(EX_TEMPFAIL_, "4.3.0 the annotations of %s cannot be read now",
			                L.user);
		/* a state store that could not be asked: the answer the script
		   needed is unknown, so retry rather than guess (state.h) */
		if (result < 0 && state.failed != SV_OK)
			result = finish(EX_TEMPFAIL_, "%s state store of %s unavailable (%s); try again later",
					state.failed == SV_FAIL ? "4.3.5" : "4.3.0", L.user,
					state.error.p ? state.error.p : sv_status_name(state.failed));
	}
	if (result < 0 && L.reject_exit) {
		/* -e: a reject or ereject refuses the message at protocol level
		   (RFC 5429 §2.1.1): the MTA bounces it with our reason, and
		   nothing of the result is carried out */
		struct sv_buf why = SV_BUF_INIT;
		if (sv_reject_refusal(&res, &why)) {
			struct sv_buf line = SV_BUF_INIT;
			sv_result_summary(&res, &L.actions);
			sv_buf_printf(&line, "%s%suser=%s actions=\"", L.queue_id ? L.queue_id : "",
				      L.queue_id ? ": " : "", L.user);
			sv_buf_put_sanitized(&line, L.actions.p ? L.actions.p : "", L.actions.len,
					     512);
			sv_buf_puts(&line, "\" status=refused");
			logf_(LOG_INFO, "%s", line.p);
			sv_buf_free(&line);
			result = finish(EX_NOPERM_, "%s", why.p);
		}
		sv_buf_free(&why);
	}
	if (result < 0) {
		/* carry it out */
		struct sv_buf rfrom = SV_BUF_INIT;
		const char *postmaster = L.conf.postmaster && *L.conf.postmaster ? L.conf.postmaster
										 : NULL;
		struct sv_buf pm = SV_BUF_INIT;
		if (!postmaster) {
			sv_buf_printf(&pm, "postmaster@%s", L.hostname);
			postmaster = pm.p;
		}
		struct sv_exec_ctx c = {
		    .store = store,
		    .submit = sub,
		    .env = &run.env,
		    .msg = L.msg.p,
		    .len = L.msg.len,
		    .msg_version = 1, /* one message per process */
		    .message = m,
		    .recipient = run.env.to,
		    .max_delivered_to = (size_t)L.settings.max_delivered_to,
		    .redirect_from = sv_dlv_redirect_sender(
			sv_settings_text(&L.settings, SV_SET_redirect_envelope_from), &run.env,
			run.env.orig_to, postmaster, &rfrom),
		    .keep_mailbox = L.mailbox_opt,
		    .error = exec_error,
		    .error_ctx = &rl,
		};
		sv_result_summary(&res, &L.actions);
		enum sv_status st = sv_dlv_execute(&res, &c, true);
		sv_buf_free(&rfrom);
		sv_buf_free(&pm);
		struct timeval end;
		gettimeofday(&end, NULL);
		long ms = (end.tv_sec - L.start.tv_sec) * 1000 + (end.tv_usec - L.start.tv_usec) / 1000;
		struct sv_buf line = SV_BUF_INIT;
		sv_buf_printf(&line, "%s%suser=%s from=<", L.queue_id ? L.queue_id : "",
			      L.queue_id ? ": " : "", L.user);
		sv_buf_put_sanitized(&line, run.env.from ? run.env.from : "",
				     strlen(run.env.from ? run.env.from : ""), 256);
		sv_buf_puts(&line, "> msgid=");
		sv_buf_put_sanitized(&line, msgid.p ? msgid.p : "", msgid.len, 256);
		sv_buf_printf(&line, " scripts=%zu/%zu actions=\"", nran, scripts.n);
		sv_buf_put_sanitized(&line, L.actions.p ? L.actions.p : "", L.actions.len, 512);
		sv_buf_printf(&line, "\" time=%ldms status=%s", ms,
			      st == SV_OK	   ? "delivered"
			      : st == SV_FAIL	   ? "delivered-with-errors"
			      : st == SV_LIMIT	   ? "rejected"
						   : "deferred");
		logf_(LOG_INFO, "%s", line.p);
		sv_buf_free(&line);
		if (st == SV_OK || st == SV_FAIL)
			result = finish(EX_OK_, NULL);
		else if (st == SV_LIMIT)
			result = finish(EX_NOPERM_, "%s mailbox of %s is full",
					status_code(L.last_error.p, "5.2.2"), L.user);
		else
			result = finish(EX_TEMPFAIL_, "%s delivery to %s failed for now (%s); "
					"try again later",
					status_code(L.last_error.p, "4.2.0"), L.user,
					L.last_error.len ? L.last_error.p : "temporary failure");
	}
	sv_result_free(&res);
	sv_run_state_free(&state);
	sv_buf_free(&sloc);
	sv_free(addrs);
	if (sub)
		sub->close(sub);
	if (store)
		store->close(store);
	if (md)
		md->close(md);
	sv_buf_free(&mdu);
	sv_buf_free(&mds);
	sv_dlv_scripts_free(&scripts);
	sv_dlv_resolver_free(&resolver);
	sv_buf_free(&incp);
	sv_buf_free(&incg);
	sv_buf_free(&key);
	sv_run_free(&run);
	sv_msg_free(m);
	sv_buf_free(&loc);
	sv_buf_free(&err);
	sv_buf_free(&logpath);
	sv_buf_free(&p1);
	sv_buf_free(&p2);
	sv_buf_free(&msgid);
	sv_buf_free(&rpv);
	sv_buf_free(&rp);
	sv_buf_free(&from_line);
	sv_buf_free(&scratch);
	return result;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"client-ip", required_argument, NULL, 'I'}, {"helo", required_argument, NULL, 'H'},
	    {"client-host", required_argument, NULL, 'N'},
	    {"queue-id", required_argument, NULL, 'Q'},  {"log-stderr", no_argument, NULL, 'L'},
	    {"user-address", required_argument, NULL, 'U'},
	    {"help", no_argument, NULL, 'h'},            {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	gettimeofday(&L.start, NULL);
	/* files we create are the user's alone */
	umask(077);
	sv_conf_init(&L.conf);
	sv_settings_init(&L.settings);
	if (gethostname(L.hostname, sizeof L.hostname - 1) != 0 || !L.hostname[0])
		strcpy(L.hostname, "localhost");
	L.sets = sv_calloc((size_t)argc + 1, sizeof *L.sets);
	L.addresses = sv_calloc((size_t)argc + 1, sizeof *L.addresses);
	int opt;
	while ((opt = getopt_long(argc, argv, "d:f:a:r:m:p:ec:o:s:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd': L.user_opt = optarg; break;
		case 'f': L.from_opt = optarg; break;
		case 'a': L.orig_opt = optarg; break;
		case 'r': L.final_opt = optarg; break;
		case 'm': L.mailbox_opt = *optarg ? optarg : NULL; break;
		case 'p': L.file_opt = optarg; break;
		case 'e': L.reject_exit = true; break;
		case 'c': L.config_opt = optarg; break;
		case 'o': L.sets[L.nsets++] = optarg; break;
		case 's': L.script_opt = optarg; break;
		case 'I': L.client_ip = optarg; break;
		case 'N': L.client_host = optarg; break;
		case 'H': L.helo = optarg; break;
		case 'Q': L.queue_id = *optarg ? optarg : NULL; break;
		case 'L': L.log_stderr = true; break;
		case 'U': L.addresses[L.naddresses++] = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': tool_version("sieve-deliver"); return 0;
		default:
			usage(stderr);
			return finish(EX_USAGE_, "5.3.5 sieve-deliver: bad command line");
		}
	}
	if (optind != argc) {
		usage(stderr);
		return finish(EX_USAGE_, "5.3.5 sieve-deliver: unexpected argument %s", argv[optind]);
	}
	/* the configuration: a missing default file is a fresh install */
	struct sv_buf err = SV_BUF_INIT;
	const char *path = L.config_opt ? L.config_opt : SIFT_SYSCONFDIR "/sift/sift.conf";
	enum sv_status st = sv_conf_load(&L.conf, &L.settings, path, L.config_opt != NULL, &err);
	int rc;
	if (st != SV_OK) {
		rc = finish(EX_TEMPFAIL_, "4.3.5 configuration: %s", err.p ? err.p : path);
		goto out;
	}
	for (size_t i = 0; i < L.nsets; i++) {
		sv_buf_reset(&err);
		if (!sv_conf_set_option(&L.conf, &L.settings, L.sets[i], &err)) {
			rc = finish(EX_TEMPFAIL_, "4.3.5 -o %s: %s", L.sets[i], err.p ? err.p : "");
			goto out;
		}
	}
	rc = deliver();
out:
	sv_buf_free(&err);
	sv_buf_free(&L.msg);
	sv_buf_free(&L.actions);
	sv_buf_free(&L.last_error);
	sv_free(L.user);
	sv_free(L.home);
	sv_free(L.sets);
	sv_free(L.addresses);
	sv_settings_free(&L.settings);
	sv_conf_free(&L.conf);
	if (L.syslog_open)
		closelog();
	return rc;
}
