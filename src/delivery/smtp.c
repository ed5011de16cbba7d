/*
 * smtp.c: the SMTP submission back-end (smtp.h). One session per message,
 * two-phase: everything up to the content's last byte in prepare, the
 * final "." in commit (RFC 5321 §4.1.1.4: the relay takes responsibility
 * only when it answers the end of data), and rollback closes the session
 * before it: RSET cannot be sent once DATA has begun, and a session that
 * ends without the "." is discarded (RFC 5321 §4.1.1.4, §3.8).
 *
 * RFC 5321: §4.1.1.1 EHLO and the HELO fallback, §4.2 replies (multi-line,
 * one code), §4.5.2 dot-stuffing, §2.3.8 CRLF line ends, §4.5.3.2 timeouts
 * (one per step here). RFC 3207: STARTTLS, EHLO again after the handshake
 * (§4.2), nothing read before the handshake is kept (§5). RFC 6152:
 * BODY=8BITMIME when offered and the message has 8-bit bytes.
 * Not done: PIPELINING, SIZE, SMTPUTF8, DSN parameters (RFC 3461), AUTH.
 * Names are resolved with getaddrinfo(), which has no timeout of its own.
 */
#include "delivery/smtp.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "delivery/submit-int.h"
#include "delivery/tls.h"
#include "lib/alloc.h"
#include "lib/utf8.h"

struct smtp_sub {
	struct sv_submission base;
	char *relay; /* as configured, for messages */
	char *host;  /* without brackets */
	char *port;
	char *helo;
	enum sv_starttls starttls;
	char *tls_ca;
	unsigned timeout;
};

/* One session, which is also the prepared message. */
struct conn {
	const struct smtp_sub *s;
	int fd;
	struct sv_tls *tls;
	int64_t deadline;  /* of the step under way (monotonic ms) */
	const char *step;  /* what is under way, for messages */
	char stepbuf[320];
	char in[4096];
	size_t ipos, ilen;
	struct sv_buf out; /* content not yet written */
	struct sv_buf line, text;
	bool has_starttls, has_8bitmime;
	bool in_data;  /* DATA accepted: any command would be content */
	bool broken;   /* a timeout or an I/O error: nothing more is sent */
	bool mid_line; /* the content did not end with a line end */
};

/* ---- steps, deadlines and messages ---- */

static void begin(struct conn *c, const char *step)
{
	c->step = step;
	c->deadline = sv_submit_now_ms() + (int64_t)c->s->timeout * 1000;
}

/* "relay HOST:PORT: STEP: " before every message */
static void say(const struct conn *c, struct sv_buf *err)
{
	sv_buf_puts(err, "relay ");
	sv_buf_put_sanitized(err, c->s->relay, strlen(c->s->relay), 256);
	sv_buf_printf(err, ": %s: ", c->step);
}

static enum sv_status wait_for(struct conn *c, short events, struct sv_buf *err)
{
	for (;;) {
		int64_t left = c->deadline - sv_submit_now_ms();
		if (left <= 0) {
			c->broken = true;
			say(c, err);
			sv_buf_printf(err, "no answer within %u s", c->s->timeout);
			return SV_TEMPFAIL;
		}
		struct pollfd p = {.fd = c->fd, .events = events};
		int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0)
			return SV_OK; /* errors and hang-ups show in the next call */
		if (r < 0 && errno != EINTR) {
			c->broken = true;
			say(c, err);
			sv_buf_printf(err, "%s", strerror(errno));
			return SV_TEMPFAIL;
		}
	}
}

static enum sv_status io_failed(struct conn *c, const struct sv_buf *why, int e, struct sv_buf *err)
{
	c->broken = true;
	say(c, err);
	if (why && why->len)
		sv_buf_append(err, why->p, why->len);
	else
		sv_buf_puts(err, e ? strerror(e) : "the connection was closed");
	return SV_TEMPFAIL;
}

static enum sv_status conn_write(struct conn *c, const char *p, size_t n, struct sv_buf *err)
{
	struct sv_buf why = SV_BUF_INIT;
	enum sv_status st = SV_OK;
	size_t off = 0;
	while (off < n && st == SV_OK) {
		long w;
		int want = 0, e = 0;
		if (c->tls) {
			w = sv_tls_write(c->tls, p + off, n - off, &want, &why);
		} else {
			w = send(c->fd, p + off, n - off, MSG_NOSIGNAL);
			e = w < 0 ? errno : 0;
			if (e == EINTR)
				continue;
			if (e == EAGAIN)
				want = POLLOUT;
		}
		if (w > 0)
			off += (size_t)w;
		else if (want)
			st = wait_for(c, (short)want, err);
		else
			st = io_failed(c, &why, e, err);
	}
	sv_buf_free(&why);
	return st;
}

/* More bytes from the relay into c->in. */
static enum sv_status conn_fill(struct conn *c, struct sv_buf *err)
{
	if (c->ipos == c->ilen)
		c->ipos = c->ilen = 0;
	struct sv_buf why = SV_BUF_INIT;
	enum sv_status st = SV_OK;
	for (;;) {
		long r;
		int want = 0, e = 0;
		if (c->tls) {
			r = sv_tls_read(c->tls, c->in + c->ilen, sizeof c->in - c->ilen, &want, &why);
		} else {
			r = recv(c->fd, c->in + c->ilen, sizeof c->in - c->ilen, 0);
			e = r < 0 ? errno : 0;
			if (e == EINTR)
				continue;
			if (e == EAGAIN)
				want = POLLIN;
		}
		if (r > 0) {
			c->ilen += (size_t)r;
			break;
		}
		if (r < 0 && want) {
			st = wait_for(c, (short)want, err);
			if (st != SV_OK)
				break;
			continue;
		}
		st = io_failed(c, &why, e, err);
		break;
	}
	sv_buf_free(&why);
	return st;
}

/* One line of a reply, without its line end; cut at 1000 bytes (RFC 5321
 * §4.5.3.1.5 allows 512). */
static enum sv_status read_line(struct conn *c, struct sv_buf *line, struct sv_buf *err)
{
	sv_buf_reset(line);
	for (;;) {
		while (c->ipos < c->ilen) {
			char ch = c->in[c->ipos++];
			if (ch == '\n') {
				if (line->len && line->p[line->len - 1] == '\r')
					line->p[--line->len] = '\0';
				return SV_OK;
			}
			if (line->len < 1000)
				sv_buf_putc(line, ch);
		}
		enum sv_status st = conn_fill(c, err);
		if (st != SV_OK)
			return st;
	}
}

static bool reply_line_ok(const struct sv_buf *l)
{
	if (l->len < 3 || l->p[0] < '2' || l->p[0] > '5')
		return false;
	if (!sv_ascii_isdigit((unsigned char)l->p[1]) || !sv_ascii_isdigit((unsigned char)l->p[2]))
		return false;
	return l->len == 3 || l->p[3] == ' ' || l->p[3] == '-';
}

/* A reply (RFC 5321 §4.2.1): lines "NNN-text" then "NNN text", all with
 * the same code. Its text, one line per line, lands in c->text. */
static enum sv_status read_reply(struct conn *c, int *code_r, struct sv_buf *err)
{
	sv_buf_reset(&c->text);
	int code = 0;
	for (unsigned n = 0;; n++) {
		enum sv_status st = read_line(c, &c->line, err);
		if (st != SV_OK)
			return st;
		const struct sv_buf *l = &c->line;
		int lc = reply_line_ok(l) ? (l->p[0] - '0') * 100 + (l->p[1] - '0') * 10 + (l->p[2] - '0') : 0;
		if (lc == 0 || (n > 0 && lc != code) || n >= 500) {
			say(c, err);
			c->broken = true; /* out of step with the relay */
			sv_buf_puts(err, "not an SMTP reply: \"");
			sv_submit_put_text(err, l->p ? l->p : "", l->len);
			sv_buf_puts(err, "\"");
			return SV_TEMPFAIL;
		}
		code = lc;
		if (n > 0)
			sv_buf_putc(&c->text, '\n');
		if (l->len > 4)
			sv_buf_append(&c->text, l->p + 4, l->len - 4);
		if (l->len == 3 || l->p[3] == ' ')
			break;
	}
	*code_r = code;
	return SV_OK;
}

/* Send one command line and read its reply. */
static enum sv_status command(struct conn *c, const char *step, const char *cmd, int *code_r,
			      struct sv_buf *err)
{
	begin(c, step);
	struct sv_buf b = SV_BUF_INIT;
	sv_buf_printf(&b, "%s\r\n", cmd);
	enum sv_status st = conn_write(c, b.p, b.len, err);
	sv_buf_free(&b);
	return st == SV_OK ? read_reply(c, code_r, err) : st;
}

/* The reply in c->text as the relay's verdict: 5xx is for good, the rest
 * (4xx, or a code that makes no sense here) may pass. */
static enum sv_status refused(struct conn *c, int code, struct sv_buf *err)
{
	say(c, err);
	sv_buf_printf(err, "%d", code);
	if (c->text.len) {
		for (size_t i = 0; i < c->text.len; i++)
			if (c->text.p[i] == '\n')
				c->text.p[i] = ' ';
		sv_buf_putc(err, ' ');
		sv_submit_put_text(err, c->text.p, c->text.len);
	}
	return code >= 500 && code < 600 ? SV_FAIL : SV_TEMPFAIL;
}

/* ---- the session ---- */

static enum sv_status dial(struct conn *c, struct sv_buf *err)
{
	const struct smtp_sub *s = c->s;
	begin(c, "connect");
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	int r = getaddrinfo(s->host, s->port, &hints, &res);
	if (r != 0) {
		say(c, err);
		sv_buf_printf(err, "cannot resolve: %s", r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return SV_TEMPFAIL;
	}
	int last = 0;
	enum sv_status st = SV_TEMPFAIL;
	for (struct addrinfo *ai = res; ai && st != SV_OK; ai = ai->ai_next) {
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (c->fd < 0) {
			last = errno;
			continue;
		}
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			st = SV_OK;
			break;
		}
		last = errno;
		if (last == EINPROGRESS) {
			struct sv_buf why = SV_BUF_INIT;
			enum sv_status w = wait_for(c, POLLOUT, &why);
			socklen_t len = sizeof last;
			if (w == SV_OK && getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &last, &len) == 0 &&
			    last == 0)
				st = SV_OK;
			if (w != SV_OK) { /* the deadline is spent for every address */
				sv_buf_append(err, why.p, why.len);
				sv_buf_free(&why);
				close(c->fd);
				c->fd = -1;
				freeaddrinfo(res);
				return SV_TEMPFAIL;
			}
			sv_buf_free(&why);
		}
		if (st != SV_OK) {
			close(c->fd);
			c->fd = -1;
		}
	}
	freeaddrinfo(res);
	if (st != SV_OK) {
		say(c, err);
		sv_buf_printf(err, "cannot connect: %s", strerror(last ? last : ECONNREFUSED));
	}
	return st;
}

/* EHLO, or HELO when the relay does not know EHLO (RFC 5321 §4.1.4),
 * noting the extensions sift uses. */
static enum sv_status ehlo(struct conn *c, struct sv_buf *err)
{
	struct sv_buf cmd = SV_BUF_INIT;
	sv_buf_printf(&cmd, "EHLO %s", c->s->helo);
	int code;
	enum sv_status st = command(c, "EHLO", cmd.p, &code, err);
	c->has_starttls = c->has_8bitmime = false;
	bool helo = st == SV_OK && code >= 500;
	if (helo) {
		sv_buf_reset(&cmd);
		sv_buf_printf(&cmd, "HELO %s", c->s->helo);
		st = command(c, "HELO", cmd.p, &code, err);
	}
	sv_buf_free(&cmd);
	if (st != SV_OK)
		return st;
	if (code / 100 != 2)
		return refused(c, code, err);
	if (helo)
		return SV_OK; /* no extensions */
	/* the first line greets; each further one names an extension */
	const char *p = c->text.p ? c->text.p : "", *end = p + c->text.len;
	const char *nl = memchr(p, '\n', c->text.len);
	for (p = nl ? nl + 1 : end; p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		size_t kw = 0;
		while (p + kw < e && p[kw] != ' ')
			kw++;
		if (sv_ascii_ieq(p, kw, "STARTTLS", 8))
			c->has_starttls = true;
		else if (sv_ascii_ieq(p, kw, "8BITMIME", 8))
			c->has_8bitmime = true;
		p = e + 1;
	}
	return SV_OK;
}

/* RFC 3207. Every failure once the relay offered STARTTLS is temporary:
 * the next attempt may find it working, and the message must not go out
 * in plain text because TLS broke. */
static enum sv_status starttls(struct conn *c, struct sv_buf *err)
{
	const struct smtp_sub *s = c->s;
	struct sv_buf why = SV_BUF_INIT;
	bool required = s->starttls == SV_STARTTLS_REQUIRED;
	if (s->starttls == SV_STARTTLS_NO)
		return SV_OK;
	if (!c->has_starttls || !sv_tls_available(&why)) {
		enum sv_status st = SV_OK;
		if (required) {
			say(c, err);
			if (!c->has_starttls)
				sv_buf_puts(err, "the relay does not offer STARTTLS, which is required");
			else
				sv_buf_append(err, why.p, why.len);
			st = SV_TEMPFAIL;
		}
		sv_buf_free(&why);
		return st; /* SV_STARTTLS_MAY: plain text */
	}
	int code;
	enum sv_status st = command(c, "STARTTLS", "STARTTLS", &code, err);
	if (st == SV_OK && code / 100 != 2) {
		refused(c, code, err);
		return SV_TEMPFAIL;
	}
	if (st != SV_OK)
		return st;
	if (c->ipos < c->ilen) { /* RFC 3207 §5: an attacker's plain-text injection */
		say(c, err);
		sv_buf_puts(err, "the relay sent data before the TLS handshake");
		return SV_TEMPFAIL;
	}
	begin(c, "TLS handshake");
	c->tls = sv_tls_client(c->fd, s->host, required, s->tls_ca, &why);
	int r = c->tls ? 0 : -1, want = 0;
	while (r == 0 && st == SV_OK) {
		r = sv_tls_handshake(c->tls, &want, &why);
		if (r == 0)
			st = wait_for(c, (short)want, err);
	}
	if (st == SV_OK && r < 0)
		st = io_failed(c, &why, 0, err);
	sv_buf_free(&why);
	if (st != SV_OK)
		return st;
	/* RFC 3207 §4.2: forget what the relay said in plain text */
	st = ehlo(c, err);
	return st == SV_FAIL ? SV_TEMPFAIL : st;
}

static bool has_8bit(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] & 0x80)
			return true;
	return false;
}

static enum sv_status envelope(struct conn *c, const struct sv_mail_out *m, struct sv_buf *err)
{
	struct sv_buf cmd = SV_BUF_INIT;
	int code;
	/* the addresses are checked: no '<', '>', spaces or control characters */
	sv_buf_printf(&cmd, "MAIL FROM:<%s>", m->from ? m->from : "");
	if (c->has_8bitmime && has_8bit(m->msg, m->len))
		sv_buf_puts(&cmd, " BODY=8BITMIME"); /* RFC 6152 */
	enum sv_status st = command(c, "MAIL FROM", cmd.p, &code, err);
	if (st == SV_OK && code / 100 != 2)
		st = refused(c, code, err);
	for (size_t i = 0; i < m->nrcpts && st == SV_OK; i++) {
		sv_buf_reset(&cmd);
		sv_buf_printf(&cmd, "RCPT TO:<%s>", m->rcpts[i]);
		st = command(c, "RCPT TO", cmd.p, &code, err);
		if (st == SV_OK && code / 100 != 2) {
			/* name the refused recipient (checked: printable) */
			snprintf(c->stepbuf, sizeof c->stepbuf, "%.*s", 300, cmd.p);
			c->step = c->stepbuf;
			st = refused(c, code, err);
		}
	}
	if (st == SV_OK) {
		st = command(c, "DATA", "DATA", &code, err);
		if (st == SV_OK && code != 354)
			st = refused(c, code, err);
	}
	sv_buf_free(&cmd);
	return st;
}

static enum sv_status flush(struct conn *c, struct sv_buf *err)
{
	c->deadline = sv_submit_now_ms() + (int64_t)c->s->timeout * 1000;
	enum sv_status st = conn_write(c, c->out.p, c->out.len, err);
	sv_buf_reset(&c->out);
	return st;
}

/* RFC 5321 §4.5.2: a line that starts with "." gets another; §2.3.8: lines
 * end in CRLF (LF or CRLF in, CRLF out). Everything but the final ".". */
static enum sv_status content(struct conn *c, const char *msg, size_t len, struct sv_buf *err)
{
	c->in_data = true;
	c->step = "message content";
	enum sv_status st = SV_OK;
	size_t i = 0;
	while (i < len && st == SV_OK) {
		const char *nl = memchr(msg + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - msg) : len, stop = end;
		if (nl && stop > i && msg[stop - 1] == '\r')
			stop--;
		if (msg[i] == '.')
			sv_buf_putc(&c->out, '.');
		sv_buf_append(&c->out, msg + i, stop - i);
		if (nl)
			sv_buf_append(&c->out, "\r\n", 2);
		i = nl ? end + 1 : len;
		if (c->out.len >= 65536)
			st = flush(c, err);
	}
	c->mid_line = len > 0 && msg[len - 1] != '\n';
	if (st == SV_OK && c->out.len)
		st = flush(c, err);
	return st;
}

/* Say goodbye; the answer is waited for a short while only. */
static void quit(struct conn *c)
{
	if (c->fd < 0 || c->in_data || c->broken)
		return;
	struct sv_buf ignore = SV_BUF_INIT;
	unsigned t = c->s->timeout < 5 ? c->s->timeout : 5;
	c->step = "QUIT";
	c->deadline = sv_submit_now_ms() + (int64_t)t * 1000;
	int code;
	if (conn_write(c, "QUIT\r\n", 6, &ignore) == SV_OK)
		read_reply(c, &code, &ignore);
	sv_buf_free(&ignore);
}

static void conn_free(struct conn *c)
{
	sv_tls_free(c->tls);
	if (c->fd >= 0)
		close(c->fd);
	sv_buf_free(&c->out);
	sv_buf_free(&c->line);
	sv_buf_free(&c->text);
	sv_free(c);
}

static enum sv_status session(struct conn *c, const struct sv_mail_out *m, struct sv_buf *err)
{
	enum sv_status st = dial(c, err);
	int code;
	if (st == SV_OK) {
		begin(c, "greeting");
		st = read_reply(c, &code, err);
		if (st == SV_OK && code / 100 != 2)
			st = refused(c, code, err);
	}
	if (st == SV_OK)
		st = ehlo(c, err);
	if (st == SV_OK)
		st = starttls(c, err);
	if (st == SV_OK)
		st = envelope(c, m, err);
	if (st == SV_OK)
		st = content(c, m->msg, m->len, err);
	return st;
}

static enum sv_status smtp_prepare(struct sv_submission *sub, const struct sv_mail_out *m,
				   struct sv_submit_txn **tx_r, struct sv_buf *err)
{
	*tx_r = NULL;
	enum sv_status st = sv_submit_check_envelope(m, err);
	if (st != SV_OK)
		return st;
	struct conn *c = sv_calloc(1, sizeof *c);
	c->s = (const struct smtp_sub *)sub;
	c->fd = -1;
	struct sv_sigpipe_guard g; /* OpenSSL writes with write(), which may raise it */
	sv_sigpipe_hold(&g);
	st = session(c, m, err);
	if (st != SV_OK) {
		quit(c);
		conn_free(c);
	}
	sv_sigpipe_release(&g);
	if (st == SV_OK)
		*tx_r = (struct sv_submit_txn *)c;
	return st;
}

static enum sv_status smtp_commit(struct sv_submission *sub, struct sv_submit_txn *tx,
				  struct sv_buf *err)
{
	(void)sub;
	struct conn *c = (struct conn *)tx;
	struct sv_sigpipe_guard g;
	sv_sigpipe_hold(&g);
	begin(c, "end of data");
	const char *dot = c->mid_line ? "\r\n.\r\n" : ".\r\n";
	enum sv_status st = conn_write(c, dot, strlen(dot), err);
	int code = 0;
	if (st == SV_OK)
		st = read_reply(c, &code, err);
	if (st == SV_OK) { /* the session is still in step: end it politely */
		c->in_data = false;
		if (code / 100 != 2)
			st = refused(c, code, err);
		quit(c);
	}
	conn_free(c);
	sv_sigpipe_release(&g);
	return st;
}

static void smtp_rollback(struct sv_submission *sub, struct sv_submit_txn *tx)
{
	(void)sub;
	if (tx)
		conn_free((struct conn *)tx); /* no "." ever: the relay drops it */
}

static void smtp_close(struct sv_submission *sub)
{
	struct smtp_sub *s = (struct smtp_sub *)sub;
	sv_free(s->relay);
	sv_free(s->host);
	sv_free(s->port);
	sv_free(s->helo);
	sv_free(s->tls_ca);
	sv_free(s);
}

/* ---- opening ---- */

/* "host", "host:port", "[literal]", "[literal]:port", or a bare IPv6
 * literal (more than one ':') without a port. */
static bool parse_relay(const char *relay, char **host_r, char **port_r)
{
	const char *host = relay, *hend, *port = NULL;
	if (relay[0] == '[') {
		host = relay + 1;
		hend = strchr(host, ']');
		if (!hend || (hend[1] && hend[1] != ':'))
			return false;
		if (hend[1] == ':')
			port = hend + 2;
	} else {
		const char *colon = strchr(relay, ':');
		if (colon && !strchr(colon + 1, ':')) {
			hend = colon;
			port = colon + 1;
		} else {
			hend = relay + strlen(relay);
		}
	}
	if (hend == host)
		return false;
	for (const char *p = host; p < hend; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '[' || *p == ']' || *p == '/')
			return false;
	unsigned long n = 25;
	if (port) {
		char *e;
		if (!sv_ascii_isdigit((unsigned char)port[0]))
			return false;
		n = strtoul(port, &e, 10);
		if (*e || n == 0 || n > 65535)
			return false;
	}
	*host_r = sv_strndup(host, (size_t)(hend - host));
	*port_r = sv_malloc(8);
	snprintf(*port_r, 8, "%lu", n);
	return true;
}

/* RFC 5321 §4.1.1.1: a domain or an address literal. */
static bool helo_ok(const char *h)
{
	if (!h[0] || strlen(h) > 255)
		return false;
	for (const char *p = h; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (!sv_ascii_isalpha(ch) && !sv_ascii_isdigit(ch) && !strchr("-.[]:_", ch))
			return false;
	}
	return true;
}

enum sv_status sv_dlv_smtp_open(const struct sv_submit_opts *o, struct sv_submission **sub_r,
				struct sv_buf *err)
{
	*sub_r = NULL;
	char *host, *port;
	if (!o->relay || !parse_relay(o->relay, &host, &port)) {
		sv_buf_puts(err, "cannot understand the relay \"");
		sv_submit_put_text(err, o->relay ? o->relay : "", o->relay ? strlen(o->relay) : 0);
		sv_buf_puts(err, "\" (host, host:port or [address]:port)");
		return SV_FAIL;
	}
	char name[256] = "";
	const char *helo = o->helo;
	if (!helo) {
		if (gethostname(name, sizeof name - 1) != 0 || !helo_ok(name))
			snprintf(name, sizeof name, "localhost");
		helo = name;
	}
	if (!helo_ok(helo)) {
		sv_buf_puts(err, "cannot use \"");
		sv_submit_put_text(err, helo, strlen(helo));
		sv_buf_puts(err, "\" as the EHLO name");
		sv_free(host);
		sv_free(port);
		return SV_FAIL;
	}
	struct smtp_sub *s = sv_calloc(1, sizeof *s);
	s->base.prepare = smtp_prepare;
	s->base.commit = smtp_commit;
	s->base.rollback = smtp_rollback;
	s->base.close = smtp_close;
	s->relay = sv_strdup(o->relay);
	s->host = host;
	s->port = port;
	s->helo = sv_strdup(helo);
	s->starttls = o->starttls;
	s->tls_ca = o->tls_ca ? sv_strdup(o->tls_ca) : NULL;
	s->timeout = o->timeout ? o->timeout : 300;
	*sub_r = &s->base;
	return SV_OK;
}
