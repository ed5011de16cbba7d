/*
 * submit.c: what every submission back-end shares (submit.h,
 * submit-int.h): the default options, choosing the back-end, the checks of
 * envelope addresses that come from scripts, and keeping SIGPIPE away.
 */
#include "delivery/submit.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "delivery/sendmail.h"
#include "delivery/smtp.h"
#include "delivery/submit-int.h"

void sv_submit_opts_init(struct sv_submit_opts *o)
{
	memset(o, 0, sizeof *o);
	o->sendmail = "/usr/sbin/sendmail";
	o->relay = NULL;
	o->starttls = SV_STARTTLS_MAY;
	o->tls_ca = NULL;
	o->helo = NULL;
	o->timeout = 300;
}

/* The sendmail program runs without a shell and without a PATH search: it
 * has to be named by an absolute path (an LDA's working folder is the
 * MTA's queue) and be an executable file. */
static enum sv_status check_program(const char *path, struct sv_buf *err)
{
	struct stat st;
	if (!path || path[0] != '/') {
		sv_buf_puts(err, "the sendmail program must be an absolute path, not \"");
		sv_submit_put_text(err, path ? path : "", path ? strlen(path) : 0);
		sv_buf_puts(err, "\"");
		return SV_FAIL;
	}
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
		int e = errno;
		sv_buf_puts(err, "the sendmail program ");
		sv_submit_put_text(err, path, strlen(path));
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			sv_buf_puts(err, " is not a file");
		else if (stat(path, &st) == 0)
			sv_buf_puts(err, " is not executable");
		else
			sv_buf_printf(err, " cannot be used: %s", strerror(e));
		return SV_FAIL;
	}
	return SV_OK;
}

enum sv_status sv_dlv_submission_open(const struct sv_submit_opts *o, struct sv_submission **sub_r,
				      struct sv_buf *err)
{
	*sub_r = NULL;
	if (o->relay && o->relay[0])
		return sv_dlv_smtp_open(o, sub_r, err);
	enum sv_status st = check_program(o->sendmail, err);
	if (st != SV_OK)
		return st;
	return sv_dlv_sendmail_open(o, sub_r, err);
}

enum sv_status sv_submit_send(struct sv_submission *s, const struct sv_mail_out *m,
			      struct sv_buf *err)
{
	struct sv_submit_txn *tx;
	enum sv_status st = s->prepare(s, m, &tx, err);
	if (st != SV_OK)
		return st;
	return s->commit(s, tx, err);
}

/* ---- for the back-ends ---- */

enum sv_status sv_submit_check_address(const char *addr, bool sender, struct sv_buf *err)
{
	const char *what = sender ? "sender" : "recipient";
	size_t n = strlen(addr);
	if (n == 0 && !sender) {
		sv_buf_puts(err, "empty recipient address");
		return SV_FAIL;
	}
	const char *why = NULL;
	if (addr[0] == '-')
		why = "starts with '-'";
	for (size_t i = 0; i < n && !why; i++) {
		unsigned char c = (unsigned char)addr[i];
		if (c < 0x20 || c == 0x7f)
			why = "contains a control character";
		else if (c == ' ')
			why = "contains a space";
		else if (c == '<' || c == '>')
			why = "contains '<' or '>'";
	}
	if (!why)
		return SV_OK;
	sv_buf_printf(err, "refusing %s address \"", what);
	sv_buf_put_sanitized(err, addr, n, 256);
	sv_buf_printf(err, "\": it %s", why);
	return SV_FAIL;
}

enum sv_status sv_submit_check_envelope(const struct sv_mail_out *m, struct sv_buf *err)
{
	enum sv_status st = sv_submit_check_address(m->from ? m->from : "", true, err);
	if (st != SV_OK)
		return st;
	if (m->nrcpts == 0) {
		sv_buf_puts(err, "no recipients");
		return SV_FAIL;
	}
	for (size_t i = 0; i < m->nrcpts; i++) {
		st = sv_submit_check_address(m->rcpts[i] ? m->rcpts[i] : "", false, err);
		if (st != SV_OK)
			return st;
	}
	return SV_OK;
}

void sv_submit_put_text(struct sv_buf *err, const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	sv_buf_put_sanitized(err, s, n, 512);
}

void sv_sigpipe_hold(struct sv_sigpipe_guard *g)
{
	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pend);
	g->was_pending = sigismember(&pend, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

void sv_sigpipe_release(struct sv_sigpipe_guard *g)
{
	if (!g->was_pending) {
		sigset_t set, pend;
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		sigpending(&pend);
		if (sigismember(&pend, SIGPIPE) == 1) {
			struct timespec zero = {0, 0};
			while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
				;
		}
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

int64_t sv_submit_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
