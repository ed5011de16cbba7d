/*
 * enotify-mailto.c: the mailto notification method (RFC 5436) of the
 * enotify extension, with mailto URIs as RFC 6068 writes them.
 *
 * The URI: "mailto:" [addresses] ["?" hfname "=" hfvalue *("&" ...)],
 * percent-encoded (RFC 6068 §2, §5), no spaces or controls. Recipients
 * are the addresses before "?" and those of the "to", "cc" and "bcc"
 * header fields, each one RFC 5322 mailbox; at least one, at most
 * notify-max-recipients, the same address once. Of the other URI header
 * fields only "subject" and "body" are used (RFC 5436 §2.7: the URI may
 * not set fields that would forge where the notification comes from or
 * how it travels, such as From, Sender, Received, Auto-Submitted; sift
 * takes none but these five); the rest are ignored.
 *
 * The notification (RFC 5436 §2.3-§2.7): From is :from, else the
 * notify-from setting, else the recipient whose mail this is; To and Cc
 * list the URI's recipients (Bcc ones are only envelope recipients);
 * Subject is :message, else the URI's subject, else the triggering
 * message's subject; the body is the URI's body, else the text of
 * :message (or the default message); "Auto-Submitted: auto-notified"
 * with owner-email (§2.7.1);
 * :importance 1 and 3 become Importance high and low. Its own Date and
 * Message-ID; the envelope sender is null, so it never bounces back into
 * a loop. No notification is sent about a message that is itself
 * automatic (Auto-Submitted other than "no", §2.7.1 as this file reads
 * it, and RFC 3834 §2). notify_method_capability "online" is "maybe"
 * (§2.2): sift cannot know.
 */
#include <string.h>

#include "delivery/execute.h"
#include "ext/enotify.h"
#include "ext/reject.h"
#include "lib/arena.h"
#include "lib/utf8.h"
#include "mail/compose.h"
#include "mail/message.h"
#include "vm/address.h"

/* A parsed mailto URI (strings in the arena). */
struct mailto {
	struct sv_arena *ar;
	struct rcpt {
		const char *addr;
		char kind; /* 't' To, 'c' Cc, 'b' Bcc */
	} *v;
	size_t n, cap;
	const char *subject, *body; /* NULL when the URI has none */
	size_t slen, blen;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)sv_ascii_lower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 3986 §2.1: the percent-decoded bytes of s; false when a '%' is not
 * followed by two hex digits or a NUL would appear. */
static bool decode(struct sv_arena *ar, const char *s, size_t len, const char **out,
		   size_t *olen)
{
	char *d = sv_arena_alloc(ar, len + 1);
	size_t k = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%') {
			d[k++] = s[i];
			continue;
		}
		if (i + 2 >= len)
			return false;
		int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
		if (hi < 0 || lo < 0)
			return false;
		char c = (char)(hi * 16 + lo);
		if (c == '\0')
			return false;
		d[k++] = c;
		i += 2;
	}
	d[k] = '\0';
	*out = d;
	*olen = k;
	return true;
}

static bool add_rcpt(struct mailto *u, const char *s, size_t len, char kind, uint64_t max,
		     struct sv_buf *err)
{
	struct sv_buf addr = SV_BUF_INIT;
	if (!sv_redirect_address(s, len, &addr)) {
		sv_buf_puts(err, "invalid recipient address '");
		sv_buf_put_sanitized(err, s, len, 128);
		sv_buf_puts(err, "' in mailto URI");
		sv_buf_free(&addr);
		return false;
	}
	/* the submission speaks no SMTPUTF8 (RFC 6531) yet */
	for (size_t i = 0; i < addr.len; i++)
		if ((unsigned char)addr.p[i] >= 0x80) {
			sv_buf_puts(err, "non-ASCII recipient address in mailto URI (not supported)");
			sv_buf_free(&addr);
			return false;
		}
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->v[i].addr, addr.p) == 0) {
			sv_buf_free(&addr);
			return true; /* the same recipient once */
		}
	if (u->n >= max) {
		sv_buf_printf(err, "more than %llu recipients in mailto URI (notify-max-recipients)",
			      (unsigned long long)max);
		sv_buf_free(&addr);
		return false;
	}
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 4;
		struct rcpt *v = sv_arena_array(u->ar, cap, sizeof *v);
		if (u->n)
			memcpy(v, u->v, u->n * sizeof *v);
		u->v = v;
		u->cap = cap;
	}
	u->v[u->n].addr = sv_arena_strndup(u->ar, addr.p, addr.len);
	u->v[u->n++].kind = kind;
	sv_buf_free(&addr);
	return true;
}

/* RFC 6068 §2: addresses separated by ',' (outside quoted strings) */
static bool add_list(struct mailto *u, const char *s, size_t len, char kind, uint64_t max,
		     struct sv_buf *err)
{
	size_t start = 0;
	bool quoted = false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] == '\\' && quoted) {
			i++;
			continue;
		}
		if (i < len && s[i] == '"')
			quoted = !quoted;
		if (i < len && (s[i] != ',' || quoted))
			continue;
		size_t a = start, b = i;
		while (a < b && sv_ascii_isspace((unsigned char)s[a]))
			a++;
		while (b > a && sv_ascii_isspace((unsigned char)s[b - 1]))
			b--;
		if (b > a && !add_rcpt(u, s + a, b - a, kind, max, err))
			return false;
		start = i + 1;
	}
	return true;
}

static bool parse(struct mailto *u, const char *uri, size_t len, uint64_t max, struct sv_buf *err)
{
	memset(u, 0, sizeof *u);
	u->ar = sv_arena_new();
	/* notify-max-recipients 0 (Pigeonhole's "no limit") is sift's most:
	   recipients are compared pairwise and each is a sendmail argument */
	if (max == 0 || max > SV_NOTIFY_MAX_RECIPIENTS)
		max = SV_NOTIFY_MAX_RECIPIENTS;
	if (len < 7 || !sv_ascii_ieq(uri, 7, "mailto:", 7)) {
		sv_buf_puts(err, "not a mailto URI");
		return false;
	}
	/* RFC 3986 §2: no spaces, controls or 8-bit bytes in a URI */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)uri[i];
		if (c <= ' ' || c >= 0x7f) {
			sv_buf_puts(err, "invalid character in mailto URI (encode it with %XX)");
			return false;
		}
	}
	const char *p = uri + 7, *end = uri + len;
	const char *q = memchr(p, '?', (size_t)(end - p));
	const char *to_end = q ? q : end;
	const char *d;
	size_t dl;
	if (!decode(u->ar, p, (size_t)(to_end - p), &d, &dl) || !add_list(u, d, dl, 't', max, err))
		goto bad;
	for (const char *f = q ? q + 1 : end; f < end;) {
		const char *amp = memchr(f, '&', (size_t)(end - f));
		const char *fe = amp ? amp : end;
		const char *eq = memchr(f, '=', (size_t)(fe - f));
		const char *name, *val;
		size_t nl, vl;
		if (!eq || eq == f) {
			sv_buf_puts(err, "malformed header field in mailto URI (no name=value)");
			goto bad;
		}
		if (!decode(u->ar, f, (size_t)(eq - f), &name, &nl) ||
		    !decode(u->ar, eq + 1, (size_t)(fe - eq - 1), &val, &vl))
			goto bad;
		if (sv_ascii_ieq(name, nl, "to", 2)) {
			if (!add_list(u, val, vl, 't', max, err))
				goto bad;
		} else if (sv_ascii_ieq(name, nl, "cc", 2)) {
			if (!add_list(u, val, vl, 'c', max, err))
				goto bad;
		} else if (sv_ascii_ieq(name, nl, "bcc", 3)) {
			if (!add_list(u, val, vl, 'b', max, err))
				goto bad;
		} else if (sv_ascii_ieq(name, nl, "subject", 7)) {
			if (!u->subject) {
				u->subject = val;
				u->slen = vl;
			}
		} else if (sv_ascii_ieq(name, nl, "body", 4)) {
			if (!u->body) {
				u->body = val;
				u->blen = vl;
			}
		} else if (!sv_header_name_valid(name, nl)) {
			sv_buf_puts(err, "invalid header name in mailto URI");
			goto bad;
		}
		f = amp ? amp + 1 : end;
	}
	if (u->n == 0) {
		sv_buf_puts(err, "mailto URI without a recipient");
		goto bad;
	}
	return true;
bad:
	if (!err->len)
		sv_buf_puts(err, "malformed percent-encoding in mailto URI (%XX, not %00)");
	return false;
}

static bool mailto_check_uri(const char *uri, size_t len, uint64_t max, struct sv_buf *err)
{
	struct mailto u;
	bool ok = parse(&u, uri, len, max, err);
	sv_arena_free(u.ar);
	return ok;
}

/* RFC 5436 §2.3: :from is an address */
static bool mailto_check_from(const char *from, size_t len, struct sv_buf *err)
{
	struct sv_buf a = SV_BUF_INIT;
	bool ok = sv_redirect_address(from, len, &a);
	sv_buf_free(&a);
	if (!ok)
		sv_buf_puts(err, "not one e-mail address");
	return ok;
}

/* RFC 5436 §2.2 */
static const char *mailto_capability(const char *name, size_t len)
{
	return sv_ascii_ieq(name, len, "online", 6) ? "maybe" : NULL;
}

/* RFC 3834 §5, RFC 5436 §2.7.1: is the message itself automatic? */
static bool auto_submitted(struct sv_msg *m)
{
	for (struct sv_hdr *h = sv_msg_header(m, "Auto-Submitted", 14); h; h = h->next_same) {
		size_t len;
		const char *v = sv_msg_header_decoded(m, h, &len);
		size_t a = 0, b;
		while (a < len && sv_ascii_isspace((unsigned char)v[a]))
			a++;
		for (b = a; b < len && v[b] != ';' && v[b] != '(' &&
			    !sv_ascii_isspace((unsigned char)v[b]);
		     b++)
			;
		if (!sv_ascii_ieq(v + a, b - a, "no", 2))
			return true;
	}
	return false;
}

/* "a@x, b@y": the recipients of one kind, for a To or Cc field */
static void join(const struct mailto *u, char kind, struct sv_buf *out)
{
	sv_buf_reset(out);
	for (size_t i = 0; i < u->n; i++) {
		if (u->v[i].kind != kind)
			continue;
		if (out->len)
			sv_buf_puts(out, ", ");
		sv_buf_puts(out, u->v[i].addr);
	}
}

/* The From address: :from, notify-from, the recipient, postmaster. */
static bool from_address(const struct sv_exec_ctx *c, const struct sv_notify *n,
			 const char *host, struct sv_buf *out, struct sv_buf *err)
{
	if (n->from) {
		if (sv_redirect_address(n->from, n->flen, out))
			return true;
		sv_buf_puts(err, ":from is not an address");
		return false;
	}
	if (n->default_from && *n->default_from) {
		if (sv_redirect_address(n->default_from, strlen(n->default_from), out))
			return true;
		sv_buf_puts(err, "the notify-from setting is not an address");
		return false;
	}
	const struct sv_envelope *env = c->env;
	const char *rcpt = env ? (env->final_to ? env->final_to : env->to) : NULL;
	if (rcpt && *rcpt && sv_redirect_address(rcpt, strlen(rcpt), out))
		return true;
	sv_buf_reset(out);
	sv_buf_printf(out, "postmaster@%s", host);
	return true;
}

/*
 * RFC 5436 §2.7.1: "auto-notified" names the owner of the script, with
 * owner-email (the recipient whose mail this is) or, when there is none,
 * owner-token (an opaque stand-in made from the notification's From); at
 * least one of the two is required.
 */
static void auto_submitted_field(const struct sv_exec_ctx *c, const char *from,
				 struct sv_buf *out)
{
	const struct sv_envelope *env = c->env;
	const char *owner = c->recipient && *c->recipient ? c->recipient
			    : env ? (env->final_to ? env->final_to : env->to) : NULL;
	struct sv_buf addr = SV_BUF_INIT;
	sv_buf_reset(out);
	if (owner && *owner && sv_redirect_address(owner, strlen(owner), &addr)) {
		sv_buf_puts(out, "auto-notified; owner-email=\"");
		for (size_t i = 0; i < addr.len; i++) {
			if (addr.p[i] == '"' || addr.p[i] == '\\')
				sv_buf_putc(out, '\\');
			sv_buf_putc(out, addr.p[i]);
		}
		sv_buf_putc(out, '"');
	} else {
		uint64_t h = 0xcbf29ce484222325ull;
		for (const char *p = from ? from : ""; *p; p++)
			h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
		sv_buf_printf(out, "auto-notified; owner-token=%016llx", (unsigned long long)h);
	}
	sv_buf_free(&addr);
}

static enum sv_status compose(const struct sv_exec_ctx *c, struct sv_notify *n,
			      const struct mailto *u, struct sv_msg *m, struct sv_buf *err)
{
	char host[256];
	sv_ext_host_name(host, sizeof host);
	struct sv_buf from = SV_BUF_INIT, list = SV_BUF_INIT, text = SV_BUF_INIT;
	if (!from_address(c, n, host, &from, err)) {
		sv_buf_free(&from);
		return SV_FAIL;
	}
	if (n->message)
		sv_buf_append(&text, n->message, n->mlen);
	else
		sv_notify_default_message(m, &text);
	struct sv_compose_ids ids;
	sv_compose_ids_system(&ids);
	struct sv_compose cmp;
	sv_compose_init(&cmp, &ids, SV_NOTIFY_MAX_SIZE);
	sv_compose_date(&cmp, ids.now, ids.tz_minutes);
	sv_compose_address_header(&cmp, "From", NULL, from.p);
	join(u, 't', &list);
	if (list.len)
		sv_compose_header(&cmp, "To", list.p, list.len);
	join(u, 'c', &list);
	if (list.len)
		sv_compose_header(&cmp, "Cc", list.p, list.len);
	/* RFC 5436 §2.7: :message, else the URI's subject, else the
	   triggering message's */
	if (n->message) {
		sv_compose_header(&cmp, "Subject", n->message, n->mlen);
	} else if (u->subject) {
		sv_compose_header(&cmp, "Subject", u->subject, u->slen);
	} else {
		struct sv_hdr *h = sv_msg_header(m, "Subject", 7);
		size_t len = 0;
		const char *s = h ? sv_msg_header_decoded(m, h, &len) : NULL;
		if (s && len)
			sv_compose_header(&cmp, "Subject", s, len);
		else
			sv_compose_header(&cmp, "Subject", text.p, text.len);
	}
	sv_compose_message_id(&cmp, host);
	auto_submitted_field(c, from.p, &list);
	sv_compose_header(&cmp, "Auto-Submitted", list.p, list.len);
	if (n->importance == 1)
		sv_compose_header(&cmp, "Importance", "high", 4);
	else if (n->importance == 3)
		sv_compose_header(&cmp, "Importance", "low", 3);
	if (u->body)
		sv_compose_body_text(&cmp, u->body, u->blen);
	else
		sv_compose_body_text(&cmp, text.p, text.len);
	sv_buf_reset(&n->out);
	enum sv_status st = sv_compose_finish(&cmp, &n->out);
	sv_compose_free(&cmp);
	if (st != SV_OK)
		sv_buf_printf(err, "cannot compose the notification (%s)",
			      st == SV_LIMIT ? "too large" : "an address is not plain ASCII");
	sv_buf_free(&from);
	sv_buf_free(&list);
	sv_buf_free(&text);
	return st == SV_OK ? SV_OK : SV_FAIL;
}

static enum sv_status mailto_prepare(struct sv_txn *t, struct sv_notify *n, void **txn_r,
				     struct sv_buf *err)
{
	const struct sv_exec_ctx *c = t->c;
	*txn_r = NULL;
	struct sv_msg *m = sv_dlv_exec_message(c);
	if (auto_submitted(m)) {
		sv_dlv_exec_message_done(c, m);
		return SV_OK; /* RFC 5436 §2.7.1: never about automatic mail */
	}
	if (!c->submit) {
		sv_dlv_exec_message_done(c, m);
		sv_buf_puts(err, "cannot send notification: no way to send mail here");
		return SV_FAIL;
	}
	struct mailto u;
	struct sv_buf why = SV_BUF_INIT;
	enum sv_status st = parse(&u, n->uri, n->ulen, n->max_recipients, &why) ? SV_OK : SV_FAIL;
	if (st == SV_OK)
		st = compose(c, n, &u, m, &why);
	if (st == SV_OK) {
		const char **rcpts = sv_arena_array(u.ar, u.n, sizeof *rcpts);
		for (size_t i = 0; i < u.n; i++)
			rcpts[i] = u.v[i].addr;
		/* the null sender: a notification never bounces into a loop */
		struct sv_mail_out out = {
		    .from = "", .rcpts = rcpts, .nrcpts = u.n, .msg = n->out.p, .len = n->out.len};
		struct sv_submit_txn *tx = NULL;
		st = c->submit->prepare(c->submit, &out, &tx, &why);
		if (st == SV_OK)
			*txn_r = tx;
	}
	if (st != SV_OK) {
		sv_buf_puts(err, "failed to send notification to '");
		sv_buf_put_sanitized(err, n->uri, n->ulen, 256);
		sv_buf_printf(err, "': %s", why.p ? why.p : sv_status_name(st));
	}
	sv_buf_free(&why);
	sv_arena_free(u.ar);
	sv_dlv_exec_message_done(c, m);
	return st;
}

const struct sv_notify_method sv_notify_mailto = {
	.scheme = "mailto",
	.check_uri = mailto_check_uri,
	.check_from = mailto_check_from,
	.capability = mailto_capability,
	.prepare = mailto_prepare,
};
