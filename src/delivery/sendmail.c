/*
 * sendmail.c: the submission back-end that pipes each message into the
 * local MTA's sendmail program (sendmail.h). One child per message:
 * prepare starts it and writes the message to its standard input without
 * closing it, commit closes it and reads the exit status (sysexits: 75 is
 * the only temporary failure Postfix and Exim agree on, ../shared/notes/lda.md),
 * rollback kills the child while its input is still open, so it never
 * sees the end of the message and queues nothing.
 *
 * Not done: Exim's sendmail is set-uid root and may change its real uid
 * while reading; a child we may not signal any more cannot be rolled back
 * (rollback then waits for it like a commit).
 */
#include "delivery/sendmail.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#if __has_include(<sys/pidfd.h>)
#include <sys/pidfd.h>
#define HAVE_PIDFD 1
#endif

#include "delivery/submit-int.h"
#include "lib/alloc.h"

struct sm_sub {
	struct sv_submission base;
	char *program;
	unsigned timeout;
};

/* One running child. */
struct sm_txn {
	pid_t pid;
	int in;     /* its standard input; -1 once closed */
	int out;    /* its standard output and error; -1 at end of file */
	int pidfd;  /* readable when it exits; -1 when the kernel has none */
	char said[1024]; /* the start of what it printed */
	size_t nsaid;
};

/* ---- the child ---- */

/* Between fork and exec: async-signal-safe calls only. The exec status
 * pipe is close-on-exec: the parent reads nothing from it when execv
 * worked, errno when it did not. */
__attribute__((noreturn)) static void child(const char *prog, char *const argv[], int in, int out,
					    int status, int maxfd)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &dfl, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* its own process group: rollback kills what it started too */
	setpgid(0, 0);
	/* above 2 first, so dup2 never meets a descriptor already in place */
	int a = fcntl(in, F_DUPFD, 3), b = fcntl(out, F_DUPFD, 3);
	if (a >= 0 && b >= 0 && dup2(a, 0) == 0 && dup2(b, 1) == 1 && dup2(b, 2) == 2) {
		/* the child gets nothing of ours but its three streams */
		if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
			for (int fd = 3; fd < maxfd; fd++)
				if (fd != status)
					close(fd);
		execv(prog, argv);
	}
	int e = errno;
	ssize_t w = write(status, &e, sizeof e);
	(void)w;
	_exit(127);
}

/* ---- watching it ---- */

/* Read what the child printed, as far as it goes without blocking; the
 * first bytes are kept for the error message, the rest is drained. */
static void take_output(struct sm_txn *t)
{
	char tmp[4096];
	while (t->out >= 0) {
		ssize_t r = read(t->out, tmp, sizeof tmp);
		if (r > 0) {
			size_t keep = sizeof t->said - t->nsaid;
			if (keep > (size_t)r)
				keep = (size_t)r;
			memcpy(t->said + t->nsaid, tmp, keep);
			t->nsaid += keep;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		close(t->out); /* end of file or an error: nothing more to read */
		t->out = -1;
	}
}

/* Wait for the child to exit until the deadline; false when it has not. */
static bool wait_exit(struct sm_txn *t, int64_t deadline, int *status_r)
{
	for (;;) {
		pid_t r = waitpid(t->pid, status_r, WNOHANG);
		if (r == t->pid) {
			t->pid = -1;
			take_output(t);
			return true;
		}
		if (r < 0 && errno != EINTR) {
			/* not our child any more (SIGCHLD ignored?): its status is lost */
			t->pid = -1;
			*status_r = -1;
			return true;
		}
		int64_t left = deadline - sv_submit_now_ms();
		if (left <= 0)
			return false;
		struct pollfd p[2] = {{.fd = t->pidfd, .events = POLLIN}, {.fd = t->out, .events = POLLIN}};
		/* without a pidfd, look again every 20 ms */
		int slice = t->pidfd >= 0 ? (left > 60000 ? 60000 : (int)left) : (left > 20 ? 20 : (int)left);
		if (poll(p, 2, slice) > 0 && p[1].revents)
			take_output(t);
	}
}

/* Kill the child and what it started, and wait for it (bounded: one we
 * may not signal could run on). */
static void reap(struct sm_txn *t, unsigned timeout)
{
	if (t->pid <= 0)
		return;
	if (kill(-t->pid, SIGKILL) != 0) /* its group: helpers it started */
		kill(t->pid, SIGKILL);
	int status;
	if (!wait_exit(t, sv_submit_now_ms() + (int64_t)timeout * 1000, &status))
		t->pid = -1; /* leave it; it is not ours to wait for any longer */
}

static void txn_free(struct sm_txn *t)
{
	if (t->in >= 0)
		close(t->in);
	if (t->out >= 0)
		close(t->out);
	if (t->pidfd >= 0)
		close(t->pidfd);
	sv_free(t);
}

static void put_said(const struct sm_txn *t, struct sv_buf *err)
{
	if (t->nsaid == 0)
		return;
	sv_buf_puts(err, ": ");
	sv_submit_put_text(err, t->said, t->nsaid);
}

/* The exit status, as a status of submit.h. */
static enum sv_status judge(const struct sm_sub *s, const struct sm_txn *t, int status,
			    struct sv_buf *err)
{
	if (status == -1) { /* whether it queued the message is unknown: retry */
		sv_buf_puts(err, "the exit status of ");
		sv_buf_puts(err, s->program);
		sv_buf_puts(err, " is lost (is SIGCHLD ignored?)");
		return SV_TEMPFAIL;
	}
	if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);
		if (code == 0)
			return SV_OK;
		sv_buf_puts(err, s->program);
		sv_buf_printf(err, " exited with status %d", code);
		put_said(t, err);
		return code == 75 ? SV_TEMPFAIL : SV_FAIL; /* 75 is EX_TEMPFAIL */
	}
	sv_buf_puts(err, s->program);
	sv_buf_printf(err, " was killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	put_said(t, err);
	return SV_TEMPFAIL;
}

/* ---- the two phases ---- */

static int open_pipe(int p[2])
{
	return pipe2(p, O_CLOEXEC);
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
}

static enum sv_status spawn(const struct sm_sub *s, char *const argv[], struct sm_txn *t,
			    struct sv_buf *err)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, st[2] = {-1, -1};
	if (open_pipe(in) != 0 || open_pipe(out) != 0 || open_pipe(st) != 0) {
		sv_buf_printf(err, "cannot start the sendmail program: %s", strerror(errno));
		close_pair(in);
		close_pair(out);
		close_pair(st);
		return SV_TEMPFAIL;
	}
	struct rlimit rl;
	int maxfd = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur
									   : 65536;
	pid_t pid = fork();
	if (pid == 0)
		child(s->program, argv, in[0], out[1], st[1], maxfd);
	int fork_errno = errno;
	close(in[0]);
	close(out[1]);
	close(st[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		close(st[0]);
		sv_buf_printf(err, "cannot start the sendmail program: %s", strerror(fork_errno));
		return SV_TEMPFAIL;
	}
	setpgid(pid, pid); /* as the child does: whichever runs first */
	t->pid = pid;
	t->in = in[1];
	t->out = out[0];
	t->pidfd = -1;
	int e = 0;
	ssize_t r;
	while ((r = read(st[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	close(st[0]);
	if (r > 0) {
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		t->pid = -1;
		sv_buf_puts(err, "cannot run ");
		sv_submit_put_text(err, s->program, strlen(s->program));
		sv_buf_printf(err, ": %s", strerror(e));
		return SV_TEMPFAIL;
	}
	fcntl(t->in, F_SETFL, fcntl(t->in, F_GETFL) | O_NONBLOCK);
	fcntl(t->out, F_SETFL, fcntl(t->out, F_GETFL) | O_NONBLOCK);
#ifdef HAVE_PIDFD
	t->pidfd = pidfd_open(pid, 0);
#endif
	return SV_OK;
}

/* Write the whole message, reading what the child prints meanwhile (a
 * child that fills its output pipe would otherwise never read on). */
static enum sv_status feed(const struct sm_sub *s, struct sm_txn *t, const char *msg, size_t len,
			   struct sv_buf *err)
{
	int64_t deadline = sv_submit_now_ms() + (int64_t)s->timeout * 1000;
	struct sv_sigpipe_guard g;
	sv_sigpipe_hold(&g);
	size_t off = 0;
	int werr = 0;
	bool late = false;
	while (off < len) {
		ssize_t w = write(t->in, msg + off, len - off);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN) {
			werr = errno;
			break;
		}
		int64_t left = deadline - sv_submit_now_ms();
		if (left <= 0) {
			late = true;
			break;
		}
		struct pollfd p[2] = {{.fd = t->in, .events = POLLOUT}, {.fd = t->out, .events = POLLIN}};
		if (poll(p, 2, left > 60000 ? 60000 : (int)left) > 0 && p[1].revents)
			take_output(t);
	}
	sv_sigpipe_release(&g);
	if (off == len)
		return SV_OK;
	if (late) {
		reap(t, s->timeout);
		sv_buf_puts(err, s->program);
		sv_buf_printf(err, " did not read the message within %u s", s->timeout);
		put_said(t, err);
		return SV_TEMPFAIL;
	}
	/* it stopped reading: its exit status says why */
	int status;
	if (!wait_exit(t, deadline, &status)) {
		reap(t, s->timeout);
		sv_buf_puts(err, s->program);
		sv_buf_printf(err, " stopped reading the message (%s)", strerror(werr));
		put_said(t, err);
		return SV_TEMPFAIL;
	}
	enum sv_status st = judge(s, t, status, err);
	if (st == SV_OK) {
		sv_buf_puts(err, s->program);
		sv_buf_puts(err, " exited before it read the whole message");
		put_said(t, err);
		st = SV_TEMPFAIL;
	}
	return st;
}

static enum sv_status sm_prepare(struct sv_submission *sub, const struct sv_mail_out *m,
				 struct sv_submit_txn **tx_r, struct sv_buf *err)
{
	struct sm_sub *s = (struct sm_sub *)sub;
	*tx_r = NULL;
	enum sv_status st = sv_submit_check_envelope(m, err);
	if (st != SV_OK)
		return st;
	/* sendmail -i -f FROM -- RCPT...: -i, a lone "." is not the end;
	 * "--", no recipient is read as an option */
	const char **argv = sv_calloc(m->nrcpts + 6, sizeof *argv);
	size_t n = 0;
	argv[n++] = s->program;
	argv[n++] = "-i";
	argv[n++] = "-f";
	argv[n++] = m->from && m->from[0] ? m->from : "<>";
	argv[n++] = "--";
	for (size_t i = 0; i < m->nrcpts; i++)
		argv[n++] = m->rcpts[i];
	argv[n] = NULL;
	struct sm_txn *t = sv_calloc(1, sizeof *t);
	t->in = t->out = t->pidfd = -1;
	st = spawn(s, (char *const *)argv, t, err);
	sv_free(argv);
	if (st == SV_OK)
		st = feed(s, t, m->msg, m->len, err);
	if (st != SV_OK) {
		reap(t, s->timeout);
		txn_free(t);
		return st;
	}
	*tx_r = (struct sv_submit_txn *)t;
	return SV_OK;
}

static enum sv_status sm_commit(struct sv_submission *sub, struct sv_submit_txn *tx,
				struct sv_buf *err)
{
	struct sm_sub *s = (struct sm_sub *)sub;
	struct sm_txn *t = (struct sm_txn *)tx;
	close(t->in); /* the end of the message: now it queues it */
	t->in = -1;
	int status;
	enum sv_status st;
	if (wait_exit(t, sv_submit_now_ms() + (int64_t)s->timeout * 1000, &status)) {
		st = judge(s, t, status, err);
	} else {
		reap(t, s->timeout);
		sv_buf_puts(err, s->program);
		sv_buf_printf(err, " did not finish within %u s", s->timeout);
		put_said(t, err);
		st = SV_TEMPFAIL;
	}
	txn_free(t);
	return st;
}

static void sm_rollback(struct sv_submission *sub, struct sv_submit_txn *tx)
{
	struct sm_sub *s = (struct sm_sub *)sub;
	struct sm_txn *t = (struct sm_txn *)tx;
	if (!t)
		return;
	/* killed before its input ends: it never saw the whole message */
	reap(t, s->timeout);
	txn_free(t);
}

static void sm_close(struct sv_submission *sub)
{
	struct sm_sub *s = (struct sm_sub *)sub;
	sv_free(s->program);
	sv_free(s);
}

enum sv_status sv_dlv_sendmail_open(const struct sv_submit_opts *o, struct sv_submission **sub_r,
				    struct sv_buf *err)
{
	(void)err;
	struct sm_sub *s = sv_calloc(1, sizeof *s);
	s->base.prepare = sm_prepare;
	s->base.commit = sm_commit;
	s->base.rollback = sm_rollback;
	s->base.close = sm_close;
	s->program = sv_strdup(o->sendmail);
	s->timeout = o->timeout ? o->timeout : 300;
	*sub_r = &s->base;
	return SV_OK;
}
