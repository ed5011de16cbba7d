/*
 * check_submit.c: the submission back-ends (src/delivery/sendmail.c,
 * smtp.c, tls.c, submit.c), DESIGN.md §4 and §7.
 *
 * The sendmail back-end runs a stub sendmail (a shell script written into
 * a scratch folder) that records its arguments and its standard input once
 * the input ends, and exits as the test tells it. The SMTP back-end talks
 * to tests/tools/smtp-sink.py, started once with --control and told
 * before each test how to answer; STARTTLS uses certificates made by
 * `openssl req` at the start.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "delivery/submit-int.h"
#include "delivery/submit.h"
#include "lib/alloc.h"

static char root[64];
static char stub[128], smdir[128];
static char cert[128], key[128], other[128], sinklog[128];
static int sink_in = -1, sink_out = -1;
static pid_t sink_pid;
static unsigned sink_port;

/* ---- small helpers ---- */

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", root, name);
}

/* Usable outside tests (main): no ck_assert here. */
static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	fputs(text, f);
	return fclose(f) == 0;
}

/* The whole file (NUL-terminated, length in *len_r), NULL when missing. */
static char *read_all(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *p = malloc(cap);
	size_t r;
	while ((r = fread(p + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n < 2)
			p = realloc(p, cap *= 2);
	}
	fclose(f);
	p[n] = '\0';
	if (len_r)
		*len_r = n;
	return p;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Each test in its own fork (Check's default; CK_FORK=no turns it off). */
static bool forked(void)
{
	const char *m = getenv("CK_FORK");
	return !m || strcmp(m, "no") != 0;
}

static int run(const char *cmd)
{
	int r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

/* ---- the stub sendmail ---- */

/* Arguments NUL-separated in argv, the input in msg: written only once the
 * input has ended, so a killed stub records nothing. Files in its folder
 * steer it: exit (the status), stderr (printed), noread (exit at once
 * without reading), sleep (seconds before reading), signal (kills itself). */
static bool write_stub(void)
{
	char text[2048];
	snprintf(text, sizeof text,
		 "#!/bin/sh\n"
		 "d=%s\n"
		 "[ -f $d/stderr ] && cat $d/stderr >&2\n"
		 "[ -f $d/noread ] && exit $(cat $d/exit)\n"
		 "[ -f $d/sleep ] && sleep $(cat $d/sleep)\n"
		 "printf '%%s\\0' \"$@\" > $d/argv.tmp\n"
		 "cat > $d/msg.tmp || exit 74\n"
		 "[ -f $d/signal ] && kill -TERM $$\n"
		 "mv $d/argv.tmp $d/argv && mv $d/msg.tmp $d/msg\n"
		 "exit $(cat $d/exit 2>/dev/null || echo 0)\n",
		 smdir);
	return write_file(stub, text) && chmod(stub, 0755) == 0;
}

static void stub_set(const char *name, const char *value)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", smdir, name);
	ck_assert(write_file(p, value));
}

static char *stub_get(const char *name, size_t *len_r)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", smdir, name);
	return read_all(p, len_r);
}

static void stub_clear(void)
{
	static const char *const files[] = {"exit", "stderr", "noread", "sleep", "signal",
					    "argv", "msg", "argv.tmp", "msg.tmp"};
	char p[256];
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(p, sizeof p, "%s/%s", smdir, files[i]);
		unlink(p);
	}
}

static struct sv_submission *open_sendmail(unsigned timeout)
{
	struct sv_submit_opts o;
	sv_submit_opts_init(&o);
	o.sendmail = stub;
	o.timeout = timeout;
	struct sv_submission *s = NULL;
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_submission_open(&o, &s, &err), SV_OK);
	ck_assert_ptr_nonnull(s);
	sv_buf_free(&err);
	return s;
}

static const char *const two_rcpts[] = {"b@example.net", "c@example.com"};
static const char plain_msg[] = "From: a@example.org\nSubject: t\n\nbody\n.\n..two\nend";

static struct sv_mail_out mail(const char *from, const char *const *rcpts, size_t n,
			       const char *msg, size_t len)
{
	struct sv_mail_out m = {.from = from, .rcpts = rcpts, .nrcpts = n, .msg = msg, .len = len};
	return m;
}

/* ---- the sendmail back-end ---- */

static void sm_setup(void)
{
	stub_clear();
}

START_TEST(test_opts_defaults)
{
	struct sv_submit_opts o;
	memset(&o, 0x5a, sizeof o);
	sv_submit_opts_init(&o);
	ck_assert_str_eq(o.sendmail, "/usr/sbin/sendmail");
	ck_assert_ptr_null(o.relay);
	ck_assert_int_eq(o.starttls, SV_STARTTLS_MAY);
	ck_assert_ptr_null(o.tls_ca);
	ck_assert_ptr_null(o.helo);
	ck_assert_uint_eq(o.timeout, 300);
}
END_TEST

/* sv_dlv_submission_open: a sendmail that cannot be run is SV_FAIL, with
 * the reason; an empty relay means sendmail. */
START_TEST(test_open_checks_program)
{
	static const struct {
		const char *path, *why;
	} bad[] = {
	    {"/nonexistent/sendmail", "cannot be used"},
	    {"/tmp", "is not a file"},
	    {"sendmail", "must be an absolute path"},
	    {NULL, "is not executable"}, /* a plain file, made below */
	};
	char plain[128];
	path_of(plain, sizeof plain, "not-executable");
	ck_assert(write_file(plain, "#!/bin/sh\n"));
	chmod(plain, 0644);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct sv_submit_opts o;
		sv_submit_opts_init(&o);
		o.sendmail = bad[i].path ? bad[i].path : plain;
		struct sv_submission *s = (void *)1;
		struct sv_buf err = SV_BUF_INIT;
		ck_assert_int_eq(sv_dlv_submission_open(&o, &s, &err), SV_FAIL);
		ck_assert_ptr_null(s);
		ck_assert_msg(err.p && strstr(err.p, bad[i].why), "%s: %s", o.sendmail, err.p);
		sv_buf_free(&err);
	}
	/* relay "" is no relay: the stub runs */
	struct sv_submit_opts o;
	sv_submit_opts_init(&o);
	o.sendmail = stub;
	o.relay = "";
	struct sv_submission *s;
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_submission_open(&o, &s, &err), SV_OK);
	struct sv_mail_out m = mail("a@example.org", two_rcpts, 1, "x\n", 2);
	ck_assert_int_eq(sv_submit_send(s, &m, &err), SV_OK);
	char *got = stub_get("msg", NULL);
	ck_assert_str_eq(got, "x\n");
	free(got);
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

/* argv is exactly `-i -f FROM -- RCPT...`, the input exactly the message;
 * nothing is recorded before commit closes the input. */
START_TEST(test_sendmail_argv_and_bytes)
{
	struct sv_submission *s = open_sendmail(10);
	struct sv_buf err = SV_BUF_INIT;
	struct sv_mail_out m = mail("a@example.org", two_rcpts, 2, plain_msg, sizeof plain_msg - 1);
	struct sv_submit_txn *tx = NULL;
	ck_assert_int_eq(s->prepare(s, &m, &tx, &err), SV_OK);
	ck_assert_ptr_nonnull(tx);
	usleep(100000);
	ck_assert_ptr_null(stub_get("msg", NULL)); /* its input is still open */
	ck_assert_int_eq(s->commit(s, tx, &err), SV_OK);
	size_t n;
	char *argv = stub_get("argv", &n);
	static const char want[] = "-i\0-f\0a@example.org\0--\0b@example.net\0c@example.com";
	ck_assert_ptr_nonnull(argv);
	ck_assert_uint_eq(n, sizeof want);
	ck_assert_mem_eq(argv, want, sizeof want);
	char *msg = stub_get("msg", &n);
	ck_assert_uint_eq(n, sizeof plain_msg - 1);
	ck_assert_mem_eq(msg, plain_msg, n);
	free(argv);
	free(msg);
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

/* The null sender is passed as "<>" (Postfix and Exim both read it so). */
START_TEST(test_sendmail_null_sender)
{
	struct sv_submission *s = open_sendmail(10);
	struct sv_buf err = SV_BUF_INIT;
	struct sv_mail_out m = mail("", two_rcpts, 1, "x\n", 2);
	ck_assert_int_eq(sv_submit_send(s, &m, &err), SV_OK);
	size_t n;
	char *argv = stub_get("argv", &n);
	static const char want[] = "-i\0-f\0<>\0--\0b@example.net";
	ck_assert_uint_eq(n, sizeof want);
	ck_assert_mem_eq(argv, want, sizeof want);
	free(argv);
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

/* Rollback kills the child before its input ends: nothing recorded, no
 * child left behind. */
START_TEST(test_sendmail_rollback)
{
	struct sv_submission *s = open_sendmail(10);
	struct sv_buf err = SV_BUF_INIT;
	struct sv_mail_out m = mail("a@example.org", two_rcpts, 2, plain_msg, sizeof plain_msg - 1);
	struct sv_submit_txn *tx1 = NULL, *tx2 = NULL;
	ck_assert_int_eq(s->prepare(s, &m, &tx1, &err), SV_OK);
	ck_assert_int_eq(s->prepare(s, &m, &tx2, &err), SV_OK);
	s->rollback(s, tx2);
	s->rollback(s, tx1);
	usleep(100000);
	ck_assert_ptr_null(stub_get("msg", NULL));
	ck_assert_ptr_null(stub_get("argv", NULL));
	if (forked()) { /* every child reaped (without a fork, the sink is one) */
		ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
		ck_assert_int_eq(errno, ECHILD);
	}
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

/* The exit status: 75 is temporary, others permanent, a signal temporary;
 * the program's output is in the reason. */
START_TEST(test_sendmail_exit_status)
{
	static const struct {
		const char *exit, *say;
		bool signal;
		enum sv_status want;
		const char *why;
	} cases[] = {
	    {"0", NULL, false, SV_OK, NULL},
	    {"75", "queue file write error\n", false, SV_TEMPFAIL, "exited with status 75: queue file write error"},
	    {"1", "fatal: no such user\n", false, SV_FAIL, "exited with status 1: fatal: no such user"},
	    {"67", NULL, false, SV_FAIL, "exited with status 67"},
	    {"0", "bad\033[1m\n", false, SV_OK, NULL},
	    {"0", NULL, true, SV_TEMPFAIL, "killed by signal 15"},
	    {"1", "x\033y\n", false, SV_FAIL, "status 1: x\\x1by"}, /* sanitised */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		stub_clear();
		stub_set("exit", cases[i].exit);
		if (cases[i].say)
			stub_set("stderr", cases[i].say);
		if (cases[i].signal)
			stub_set("signal", "");
		struct sv_submission *s = open_sendmail(10);
		struct sv_buf err = SV_BUF_INIT;
		struct sv_mail_out m = mail("a@example.org", two_rcpts, 1, "x\n", 2);
		struct sv_submit_txn *tx = NULL;
		ck_assert_int_eq(s->prepare(s, &m, &tx, &err), SV_OK);
		ck_assert_int_eq(s->commit(s, tx, &err), cases[i].want);
		if (cases[i].why)
			ck_assert_msg(err.p && strstr(err.p, cases[i].why), "case %zu: %s", i, err.p);
		else
			ck_assert_uint_eq(err.len, 0);
		s->close(s);
		sv_buf_free(&err);
	}
}
END_TEST

/* Addresses from scripts that would be options or break the command line
 * are refused before anything runs. */
START_TEST(test_sendmail_refuses_addresses)
{
	static const struct {
		const char *from, *rcpt, *why;
	} cases[] = {
	    {"a@example.org", "-oQ/tmp/x", "starts with '-'"},
	    {"-X/tmp/log", "b@example.net", "starts with '-'"},
	    {"a@example.org", "b c@example.net", "contains a space"},
	    {"a@example.org", "b@example.net\n-X", "control character"},
	    {"a\t@example.org", "b@example.net", "control character"},
	    {"a@example.org", "", "empty recipient"},
	    {"a@example.org", "<b@example.net>", "'<' or '>'"},
	};
	struct sv_submission *s = open_sendmail(10);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct sv_buf err = SV_BUF_INIT;
		const char *r[1] = {cases[i].rcpt};
		struct sv_mail_out m = mail(cases[i].from, r, 1, "x\n", 2);
		struct sv_submit_txn *tx = (void *)1;
		ck_assert_int_eq(s->prepare(s, &m, &tx, &err), SV_FAIL);
		ck_assert_ptr_null(tx);
		ck_assert_msg(err.p && strstr(err.p, cases[i].why), "case %zu: %s", i, err.p);
		ck_assert_ptr_null(stub_get("argv.tmp", NULL)); /* nothing ran */
		sv_buf_free(&err);
	}
	/* no recipients at all */
	struct sv_buf err = SV_BUF_INIT;
	struct sv_mail_out m = mail("a@example.org", NULL, 0, "x\n", 2);
	struct sv_submit_txn *tx;
	ck_assert_int_eq(s->prepare(s, &m, &tx, &err), SV_FAIL);
	ck_assert_str_eq(err.p, "no recipients");
	sv_buf_free(&err);
	s->close(s);
}
END_TEST

/* A child that exits without reading a big message: the write fails with
 * EPIPE (SIGPIPE must not kill us) and its status is the answer. */
START_TEST(test_sendmail_stops_reading)
{
	stub_set("noread", "");
	stub_set("exit", "1");
	stub_set("stderr", "sendmail: fatal: bad address syntax\n");
	size_t len = 1 << 20;
	char *big = malloc(len);
	memset(big, 'x', len);
	struct sv_submission *s = open_sendmail(10);
	struct sv_buf err = SV_BUF_INIT;
	struct sv_mail_out m = mail("a@example.org", two_rcpts, 1, big, len);
	struct sv_submit_txn *tx = NULL;
	ck_assert_int_eq(s->prepare(s, &m, &tx, &err), SV_FAIL);
	ck_assert_ptr_null(tx);
	ck_assert_msg(strstr(err.p, "exited with status 1: sendmail: fatal: bad address syntax"), "%s",
		      err.p);
	sv_buf_free(&err);
	/* exit 0 without reading it all: not a success */
	stub_set("exit", "0");
	ck_assert_int_eq(s->prepare(s, &m, &tx, &err), SV_TEMPFAIL);
	ck_assert_msg(strstr(err.p, "before it read the whole message"), "%s", err.p);
	s->close(s);
	sv_buf_free(&err);
	free(big);
}
END_TEST

/* A child that does not finish in time is killed: SV_TEMPFAIL. */
START_TEST(test_sendmail_timeout)
{
	stub_set("sleep", "5");
	struct sv_submission *s = open_sendmail(1);
	struct sv_buf err = SV_BUF_INIT;
	struct sv_mail_out m = mail("a@example.org", two_rcpts, 1, "x\n", 2);
	struct sv_submit_txn *tx = NULL;
	double t0 = now_s();
	ck_assert_int_eq(s->prepare(s, &m, &tx, &err), SV_OK); /* fits in the pipe */
	ck_assert_int_eq(s->commit(s, tx, &err), SV_TEMPFAIL);
	ck_assert_msg(now_s() - t0 < 5, "took %.1f s", now_s() - t0);
	ck_assert_msg(strstr(err.p, "did not finish within 1 s"), "%s", err.p);
	ck_assert_ptr_null(stub_get("msg", NULL));
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

/* ---- the SMTP sink ---- */

static bool sink_line(char *buf, size_t n)
{
	size_t k = 0;
	while (k + 1 < n) {
		struct pollfd p = {.fd = sink_out, .events = POLLIN};
		if (poll(&p, 1, 30000) <= 0)
			return false;
		char c;
		if (read(sink_out, &c, 1) != 1)
			return false;
		if (c == '\n')
			break;
		buf[k++] = c;
	}
	buf[k] = '\0';
	return true;
}

/* One control line to the sink; it answers "ok". */
static void sink(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sink(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	ck_assert(n > 0 && (size_t)n < sizeof line - 1);
	line[n] = '\n';
	line[n + 1] = '\0';
	ck_assert_int_eq(write(sink_in, line, strlen(line)), (ssize_t)strlen(line));
	char ans[256];
	ck_assert_msg(sink_line(ans, sizeof ans), "the sink does not answer");
	ck_assert_msg(strcmp(ans, "ok") == 0, "sink: %s for %s", ans, line);
}

/* Start smtp-sink.py; its first line is the port. Extra arguments after
 * the fixed ones (NULL-terminated). */
static pid_t start_sink(int *in_r, int *out_r, unsigned *port_r)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
		return -1;
	char dir[128];
	path_of(dir, sizeof dir, "sink");
	mkdir(dir, 0700);
	const char *py = getenv("PYTHON3") && getenv("PYTHON3")[0] ? getenv("PYTHON3") : "python3";
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execlp(py, py, SV_TOP_SRCDIR "/tests/tools/smtp-sink.py", "--dir", dir, "--host", "127.0.0.1", "--host", "::1",
		       "--control", "--log", sinklog, "--tls-cert", cert, "--tls-key", key, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	*in_r = in[1];
	*out_r = out[0];
	int save = sink_out;
	sink_out = out[0];
	char line[64];
	bool ok = sink_line(line, sizeof line);
	sink_out = save;
	if (!ok)
		return -1;
	*port_r = (unsigned)atoi(line);
	return pid;
}

static char outdir[128];

static void smtp_setup(void)
{
	static int n;
	snprintf(outdir, sizeof outdir, "%s/out%d-%d", root, (int)getpid(), n++);
	ck_assert_int_eq(mkdir(outdir, 0700), 0);
	ck_assert_int_eq(truncate(sinklog, 0) == 0 || errno == ENOENT, 1);
	sink("reset");
	sink("tls off"); /* tests that want STARTTLS offered say so */
	sink("dir %s", outdir);
}

static char *sunk(int n, const char *ext, size_t *len_r)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%d.%s", outdir, n, ext);
	return read_all(p, len_r);
}

static struct sv_submission *open_smtp(const char *host, enum sv_starttls tls, const char *ca,
				       unsigned timeout)
{
	char relay[128];
	snprintf(relay, sizeof relay, "%s:%u", host, sink_port);
	struct sv_submit_opts o;
	sv_submit_opts_init(&o);
	o.relay = relay;
	o.starttls = tls;
	o.tls_ca = ca;
	o.helo = "sift.test";
	o.timeout = timeout;
	o.sendmail = "/nonexistent"; /* not used with a relay */
	struct sv_submission *s = NULL;
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_submission_open(&o, &s, &err), SV_OK);
	sv_buf_free(&err);
	return s;
}

/* Whether the sink's log gets a line containing what (within 3 s). */
static bool log_says(const char *what)
{
	for (int i = 0; i < 60; i++) {
		char *log = read_all(sinklog, NULL);
		bool yes = log && strstr(log, what);
		free(log);
		if (yes)
			return true;
		usleep(50000);
	}
	return false;
}

/* Plain text: the envelope and the content arrive exactly, LF turned into
 * CRLF; the message is there only after commit. */
START_TEST(test_smtp_plain)
{
	struct sv_submission *s = open_smtp("127.0.0.1", SV_STARTTLS_MAY, NULL, 10);
	struct sv_buf err = SV_BUF_INIT;
	static const char msg[] = "From: a@example.org\nSubject: t\n\nbody\n";
	struct sv_mail_out m = mail("a@example.org", two_rcpts, 2, msg, sizeof msg - 1);
	struct sv_submit_txn *tx = NULL;
	ck_assert_int_eq(s->prepare(s, &m, &tx, &err), SV_OK);
	usleep(100000);
	ck_assert_ptr_null(sunk(1, "eml", NULL)); /* no final dot yet */
	ck_assert_int_eq(s->commit(s, tx, &err), SV_OK);
	ck_assert_uint_eq(err.len, 0);
	size_t n;
	char *got = sunk(1, "eml", &n);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, "From: a@example.org\r\nSubject: t\r\n\r\nbody\r\n");
	char *env = sunk(1, "env", NULL);
	ck_assert_str_eq(env, "HELO sift.test\nTLS no\nMAIL FROM:<a@example.org>\n"
			      "RCPT TO:<b@example.net>\nRCPT TO:<c@example.com>\n");
	free(got);
	free(env);
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

/* RFC 5321 §4.5.2: dot-stuffing; §2.3.8: CRLF line ends, CRLF input kept
 * as it is, a last line without an end closed before the dot. 8-bit
 * content is announced with BODY=8BITMIME (RFC 6152); the null sender is
 * MAIL FROM:<>. */
START_TEST(test_smtp_dot_stuffing)
{
	struct sv_submission *s = open_smtp("127.0.0.1", SV_STARTTLS_NO, NULL, 10);
	struct sv_buf err = SV_BUF_INIT;
	static const char msg[] = "Subject: d\n\n.\n..two\n.three\r\nfour.\n\xc3\xa9t\xc3\xa9\n.";
	struct sv_mail_out m = mail("", two_rcpts, 1, msg, sizeof msg - 1);
	ck_assert_int_eq(sv_submit_send(s, &m, &err), SV_OK);
	char *got = sunk(1, "eml", NULL);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got,
			 "Subject: d\r\n\r\n.\r\n..two\r\n.three\r\nfour.\r\n\xc3\xa9t\xc3\xa9\r\n.\r\n");
	char *env = sunk(1, "env", NULL);
	ck_assert_str_eq(env, "HELO sift.test\nTLS no\nMAIL FROM:<> BODY=8BITMIME\n"
			      "RCPT TO:<b@example.net>\n");
	free(got);
	free(env);
	/* an empty message */
	m.len = 0;
	ck_assert_int_eq(sv_submit_send(s, &m, &err), SV_OK);
	size_t n = 1;
	got = sunk(2, "eml", &n);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(n, 0);
	free(got);
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

/* 4xx is temporary, 5xx permanent, at every stage; the relay's text is in
 * the reason; nothing is stored. */
START_TEST(test_smtp_replies)
{
	static const struct {
		const char *stage, *reply;
		enum sv_status want;
		bool at_commit;
		const char *why;
	} cases[] = {
	    {"greeting", "554 5.3.2 go away", SV_FAIL, false, "greeting: 554 5.3.2 go away"},
	    {"greeting", "421 4.3.2 busy", SV_TEMPFAIL, false, "greeting: 421 4.3.2 busy"},
	    {"ehlo", "421 4.7.0 later", SV_TEMPFAIL, false, "EHLO: 421 4.7.0 later"},
	    {"mail", "451 4.3.0 try later", SV_TEMPFAIL, false, "MAIL FROM: 451 4.3.0 try later"},
	    {"mail", "553 5.1.7 bad sender", SV_FAIL, false, "MAIL FROM: 553 5.1.7 bad sender"},
	    {"rcpt", "450 4.2.0 greylisted", SV_TEMPFAIL, false, "RCPT TO:<b@example.net>: 450"},
	    {"rcpt", "550 5.1.1 no such user|really", SV_FAIL, false,
	     "RCPT TO:<b@example.net>: 550 5.1.1 no such user really"},
	    {"data", "451 4.3.0 no", SV_TEMPFAIL, false, "DATA: 451 4.3.0 no"},
	    {"data", "554 5.5.0 no", SV_FAIL, false, "DATA: 554 5.5.0 no"},
	    {"data", "250 huh", SV_TEMPFAIL, false, "DATA: 250 huh"},
	    {"dot", "452 4.3.1 full", SV_TEMPFAIL, true, "end of data: 452 4.3.1 full"},
	    {"dot", "554 5.7.1 spam", SV_FAIL, true, "end of data: 554 5.7.1 spam"},
	};
	struct sv_submission *s = open_smtp("127.0.0.1", SV_STARTTLS_NO, NULL, 10);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		sink("reset");
		sink("reply %s %s", cases[i].stage, cases[i].reply);
		struct sv_buf err = SV_BUF_INIT;
		struct sv_mail_out m = mail("a@example.org", two_rcpts, 1, "x\n", 2);
		struct sv_submit_txn *tx = NULL;
		enum sv_status st = s->prepare(s, &m, &tx, &err);
		if (cases[i].at_commit) {
			ck_assert_int_eq(st, SV_OK);
			st = s->commit(s, tx, &err);
		} else {
			ck_assert_ptr_null(tx);
		}
		ck_assert_msg(st == cases[i].want, "case %zu: %d: %s", i, st, err.p);
		ck_assert_msg(err.p && strstr(err.p, cases[i].why), "case %zu: %s", i, err.p);
		ck_assert_msg(strncmp(err.p, "relay 127.0.0.1:", 16) == 0, "%s", err.p);
		sv_buf_free(&err);
	}
	ck_assert_ptr_null(sunk(1, "eml", NULL));
	s->close(s);
}
END_TEST

/* RFC 5321 §4.1.4: a relay that does not know EHLO gets HELO. */
START_TEST(test_smtp_helo_fallback)
{
	sink("reply ehlo 502 5.5.1 what is EHLO");
	struct sv_submission *s = open_smtp("127.0.0.1", SV_STARTTLS_MAY, NULL, 10);
	struct sv_buf err = SV_BUF_INIT;
	struct sv_mail_out m = mail("a@example.org", two_rcpts, 1, "x\n", 2);
	ck_assert_int_eq(sv_submit_send(s, &m, &err), SV_OK);
	char *env = sunk(1, "env", NULL);
	ck_assert_ptr_nonnull(env);
	ck_assert_msg(strncmp(env, "HELO sift.test\nTLS no\n", 22) == 0, "%s", env);
	ck_assert(log_says("C: HELO sift.test"));
	free(env);
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

/* A relay that stops answering: SV_TEMPFAIL after the step's timeout. */
START_TEST(test_smtp_timeout)
{
	static const char *const stages[] = {"greeting", "rcpt", "dot"};
	struct sv_submission *s = open_smtp("127.0.0.1", SV_STARTTLS_NO, NULL, 1);
	for (size_t i = 0; i < 3; i++) {
		sink("reset");
		sink("stall %s", stages[i]);
		struct sv_buf err = SV_BUF_INIT;
		struct sv_mail_out m = mail("a@example.org", two_rcpts, 1, "x\n", 2);
		struct sv_submit_txn *tx = NULL;
		double t0 = now_s();
		enum sv_status st = s->prepare(s, &m, &tx, &err);
		if (i == 2) {
			ck_assert_int_eq(st, SV_OK);
			st = s->commit(s, tx, &err);
		}
		ck_assert_int_eq(st, SV_TEMPFAIL);
		ck_assert_msg(now_s() - t0 < 3.5, "took %.1f s", now_s() - t0);
		ck_assert_msg(strstr(err.p, "no answer within 1 s"), "%s", err.p);
		sv_buf_free(&err);
	}
	ck_assert_ptr_null(sunk(1, "eml", NULL));
	s->close(s);
}
END_TEST

/* Rollback closes the session before the final dot: the relay stores
 * nothing. Two sessions at once, as the executor prepares them. */
START_TEST(test_smtp_rollback)
{
	struct sv_submission *s = open_smtp("127.0.0.1", SV_STARTTLS_NO, NULL, 10);
	struct sv_buf err = SV_BUF_INIT;
	struct sv_mail_out m1 = mail("a@example.org", two_rcpts, 1, "first\n", 6);
	struct sv_mail_out m2 = mail("a@example.org", two_rcpts, 1, "second\n", 7);
	struct sv_submit_txn *t1 = NULL, *t2 = NULL;
	ck_assert_int_eq(s->prepare(s, &m1, &t1, &err), SV_OK);
	ck_assert_int_eq(s->prepare(s, &m2, &t2, &err), SV_OK);
	s->rollback(s, t1);
	ck_assert(log_says("* data aborted: closed before the final dot"));
	ck_assert_int_eq(s->commit(s, t2, &err), SV_OK);
	char *got = sunk(1, "eml", NULL);
	ck_assert_str_eq(got, "second\r\n");
	ck_assert_ptr_null(sunk(2, "eml", NULL));
	free(got);
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

/* The refused addresses of the sendmail back-end are refused here too,
 * before any connection. */
START_TEST(test_smtp_refuses_addresses)
{
	struct sv_submission *s = open_smtp("127.0.0.1", SV_STARTTLS_NO, NULL, 10);
	struct sv_buf err = SV_BUF_INIT;
	const char *r[1] = {"b@example.net>\r\nRCPT TO:<evil@example.com"};
	struct sv_mail_out m = mail("a@example.org", r, 1, "x\n", 2);
	struct sv_submit_txn *tx = NULL;
	ck_assert_int_eq(s->prepare(s, &m, &tx, &err), SV_FAIL);
	ck_assert_msg(strstr(err.p, "refusing recipient address"), "%s", err.p);
	char *log = read_all(sinklog, NULL);
	ck_assert(!log || !strstr(log, "evil"));
	free(log);
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

/* Relays and EHLO names that cannot work are SV_FAIL at open; a relay
 * that is not there is SV_TEMPFAIL at prepare. */
START_TEST(test_smtp_open_errors)
{
	static const char *const bad[] = {"host:99999", "host:", "[::1", "[::1]x", "host:2x", ":25",
					  "a b:25"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct sv_submit_opts o;
		sv_submit_opts_init(&o);
		o.relay = bad[i];
		struct sv_submission *s = (void *)1;
		struct sv_buf err = SV_BUF_INIT;
		ck_assert_msg(sv_dlv_submission_open(&o, &s, &err) == SV_FAIL, "%s", bad[i]);
		ck_assert_ptr_null(s);
		ck_assert_msg(strstr(err.p, "cannot understand the relay"), "%s", err.p);
		sv_buf_free(&err);
	}
	struct sv_submit_opts o;
	sv_submit_opts_init(&o);
	o.relay = "127.0.0.1:25";
	o.helo = "bad name";
	struct sv_submission *s;
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_submission_open(&o, &s, &err), SV_FAIL);
	ck_assert_msg(strstr(err.p, "as the EHLO name"), "%s", err.p);
	sv_buf_reset(&err);
	/* port 1 on loopback: nobody listens */
	o.relay = "127.0.0.1:1";
	o.helo = NULL;
	ck_assert_int_eq(sv_dlv_submission_open(&o, &s, &err), SV_OK);
	struct sv_mail_out m = mail("a@example.org", two_rcpts, 1, "x\n", 2);
	ck_assert_int_eq(sv_submit_send(s, &m, &err), SV_TEMPFAIL);
	ck_assert_msg(strstr(err.p, "connect: cannot connect"), "%s", err.p);
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

static bool libssl_mapped(void)
{
	char *maps = read_all("/proc/self/maps", NULL);
	bool yes = maps && strstr(maps, "libssl.so");
	free(maps);
	return yes;
}

/* STARTTLS when offered under MAY: encrypted, the certificate not checked
 * (the system store does not know the test's); OpenSSL is loaded only
 * then. */
START_TEST(test_smtp_starttls_may)
{
	struct sv_submission *s = open_smtp("127.0.0.1", SV_STARTTLS_MAY, NULL, 10);
	struct sv_buf err = SV_BUF_INIT;
	struct sv_mail_out m = mail("a@example.org", two_rcpts, 1, "x\n", 2);
	ck_assert_int_eq(sv_submit_send(s, &m, &err), SV_OK);
	/* no STARTTLS offered, none loaded (each test runs in a fresh fork) */
	if (forked())
		ck_assert(!libssl_mapped());
	sink("tls on");
	ck_assert_int_eq(sv_submit_send(s, &m, &err), SV_OK);
	ck_assert_msg(err.len == 0, "%s", err.p);
	ck_assert(libssl_mapped());
	char *env = sunk(2, "env", NULL);
	ck_assert_ptr_nonnull(env);
	/* RFC 3207 §4.2: EHLO again after the handshake */
	ck_assert_str_eq(env, "HELO sift.test\nTLS yes\nMAIL FROM:<a@example.org>\n"
			      "RCPT TO:<b@example.net>\n");
	ck_assert(log_says("* TLS TLSv1.3"));
	free(env);
	/* under NO, never */
	s->close(s);
	s = open_smtp("127.0.0.1", SV_STARTTLS_NO, NULL, 10);
	ck_assert_int_eq(sv_submit_send(s, &m, &err), SV_OK);
	env = sunk(3, "env", NULL);
	ck_assert_ptr_nonnull(strstr(env, "TLS no"));
	free(env);
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

/* REQUIRED: the certificate must chain to tls_ca and name the relay
 * (RFC 3207 §4.1); every failure is temporary and sends nothing. */
START_TEST(test_smtp_starttls_required)
{
	static const struct {
		const char *host;
		const char *ca; /* NULL: the right one */
		bool offer;
		const char *starttls_reply;
		enum sv_status want;
		const char *why;
	} cases[] = {
	    {"localhost", NULL, true, NULL, SV_OK, NULL},
	    {"[127.0.0.1]", NULL, true, NULL, SV_TEMPFAIL, "TLS handshake"}, /* names localhost only */
	    {"localhost", "other", true, NULL, SV_TEMPFAIL, "certificate verification failed"},
	    {"localhost", NULL, false, NULL, SV_TEMPFAIL, "does not offer STARTTLS"},
	    {"localhost", NULL, true, "454 4.7.0 TLS not available", SV_TEMPFAIL,
	     "STARTTLS: 454 4.7.0 TLS not available"},
	    {"localhost", "missing", true, NULL, SV_TEMPFAIL, "cannot load the CA file"},
	};
	int stored = 0;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		sink("reset");
		sink("tls %s", cases[i].offer ? "on" : "off");
		if (cases[i].starttls_reply)
			sink("reply starttls %s", cases[i].starttls_reply);
		char missing[160];
		path_of(missing, sizeof missing, "missing.pem");
		const char *ca = !cases[i].ca ? cert : strcmp(cases[i].ca, "other") == 0 ? other : missing;
		struct sv_submission *s = open_smtp(cases[i].host, SV_STARTTLS_REQUIRED, ca, 10);
		struct sv_buf err = SV_BUF_INIT;
		struct sv_mail_out m = mail("a@example.org", two_rcpts, 1, "x\n", 2);
		ck_assert_msg(sv_submit_send(s, &m, &err) == cases[i].want, "case %zu: %s", i, err.p);
		if (cases[i].why)
			ck_assert_msg(strstr(err.p, cases[i].why), "case %zu: %s", i, err.p);
		else
			stored++;
		s->close(s);
		sv_buf_free(&err);
	}
	/* only the good case arrived, and encrypted */
	char *env = sunk(1, "env", NULL);
	ck_assert_ptr_nonnull(strstr(env, "TLS yes"));
	ck_assert_ptr_null(sunk(stored + 1, "eml", NULL));
	free(env);
	/* a failed handshake after STARTTLS was offered is temporary under
	 * MAY too: never fall back to plain text */
	sink("reset");
	sink("stall starttls");
	struct sv_submission *s = open_smtp("localhost", SV_STARTTLS_MAY, NULL, 1);
	struct sv_buf err = SV_BUF_INIT;
	struct sv_mail_out m = mail("a@example.org", two_rcpts, 1, "x\n", 2);
	ck_assert_int_eq(sv_submit_send(s, &m, &err), SV_TEMPFAIL);
	ck_assert_msg(strstr(err.p, "STARTTLS: no answer within 1 s"), "%s", err.p);
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

/* An IPv6 literal relay: [::1]:port (the sink listens there too). */
START_TEST(test_smtp_ipv6)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	bool v6 = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	if (!v6) {
		fprintf(stderr, "check_submit: no IPv6 loopback here, [::1] not tested\n");
		return;
	}
	struct sv_submission *s = open_smtp("[::1]", SV_STARTTLS_NO, NULL, 10);
	struct sv_buf err = SV_BUF_INIT;
	struct sv_mail_out m = mail("a@example.org", two_rcpts, 1, "v6\n", 3);
	ck_assert_int_eq(sv_submit_send(s, &m, &err), SV_OK);
	char *got = sunk(1, "eml", NULL);
	ck_assert_str_eq(got, "v6\r\n");
	ck_assert(log_says("[::1]:"));
	free(got);
	s->close(s);
	sv_buf_free(&err);
}
END_TEST

/* ---- main ---- */

static bool make_cert(const char *name, const char *subj, const char *san, const char *keyfile,
		      const char *certfile)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
		 "-subj '%s' -addext 'subjectAltName=%s' -keyout '%s' -out '%s' >/dev/null 2>&1",
		 subj, san, keyfile, certfile);
	(void)name;
	return run(cmd) == 0;
}

int main(void)
{
	snprintf(root, sizeof root, "/tmp/sift-submit-XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	path_of(stub, sizeof stub, "sendmail");
	path_of(smdir, sizeof smdir, "sm");
	path_of(cert, sizeof cert, "cert.pem");
	path_of(key, sizeof key, "key.pem");
	path_of(other, sizeof other, "other.pem");
	path_of(sinklog, sizeof sinklog, "sink.log");
	mkdir(smdir, 0700);
	if (!write_stub()) {
		perror(stub);
		return EXIT_FAILURE;
	}
	char otherkey[128];
	path_of(otherkey, sizeof otherkey, "other-key.pem");
	/* the relay's certificate names localhost only (the IP literal case
	 * must fail the name check) */
	if (!make_cert("relay", "/CN=localhost", "DNS:localhost", key, cert) ||
	    !make_cert("other", "/CN=localhost", "DNS:localhost", otherkey, other)) {
		fprintf(stderr, "check_submit: openssl req failed\n");
		return EXIT_FAILURE;
	}
	sink_pid = start_sink(&sink_in, &sink_out, &sink_port);
	if (sink_pid <= 0) {
		fprintf(stderr, "check_submit: cannot start tests/tools/smtp-sink.py\n");
		return EXIT_FAILURE;
	}

	Suite *s = suite_create("submit");
	TCase *tc = tcase_create("sendmail");
	tcase_add_checked_fixture(tc, sm_setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_opts_defaults);
	tcase_add_test(tc, test_open_checks_program);
	tcase_add_test(tc, test_sendmail_argv_and_bytes);
	tcase_add_test(tc, test_sendmail_null_sender);
	tcase_add_test(tc, test_sendmail_rollback);
	tcase_add_test(tc, test_sendmail_exit_status);
	tcase_add_test(tc, test_sendmail_refuses_addresses);
	tcase_add_test(tc, test_sendmail_stops_reading);
	tcase_add_test(tc, test_sendmail_timeout);
	suite_add_tcase(s, tc);
	tc = tcase_create("smtp");
	tcase_add_checked_fixture(tc, smtp_setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_smtp_plain);
	tcase_add_test(tc, test_smtp_dot_stuffing);
	tcase_add_test(tc, test_smtp_replies);
	tcase_add_test(tc, test_smtp_helo_fallback);
	tcase_add_test(tc, test_smtp_timeout);
	tcase_add_test(tc, test_smtp_rollback);
	tcase_add_test(tc, test_smtp_refuses_addresses);
	tcase_add_test(tc, test_smtp_open_errors);
	tcase_add_test(tc, test_smtp_starttls_may);
	tcase_add_test(tc, test_smtp_starttls_required);
	tcase_add_test(tc, test_smtp_ipv6);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	close(sink_in); /* the sink exits at the end of its input */
	waitpid(sink_pid, NULL, 0);
	if (!failed)
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
