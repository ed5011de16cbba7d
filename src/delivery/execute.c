/*
 * execute.c: executes a result as one delivery (DESIGN.md §5;
 * RFC 5228 §2.10.2 implicit keep, §2.10.6 errors, §4.2 redirect, RFC 5232
 * §5 flags). Two phases: local stores, then sending, so that a message is
 * never sent on when it could not be filed.
 *
 * Not done yet: vacation, reject and notify actions (no extension records
 * them yet); they are reported as failures.
 */
#include "delivery/execute.h"

#include <stdarg.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/utf8.h"

static void report(const struct sv_exec_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void report(const struct sv_exec_ctx *c, const char *fmt, ...)
{
	if (!c->error)
		return;
	struct sv_buf b = SV_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	c->error(c->error_ctx, b.p ? b.p : "");
	sv_buf_free(&b);
}

static enum sv_status store_one(const struct sv_exec_ctx *c, const char *mailbox, size_t mlen,
                                const char *const *flags, size_t nflags)
{
	struct sv_buf err = SV_BUF_INIT, name = SV_BUF_INIT;
	enum sv_status st =
	    c->store->save(c->store, mailbox, mlen, c->msg, c->len, flags, nflags, &err);
	if (st != SV_OK) {
		sv_buf_put_sanitized(&name, mailbox, mlen, 128);
		report(c, "failed to store into mailbox '%s': %s", name.p ? name.p : "",
		       err.p ? err.p : sv_status_name(st));
	}
	sv_buf_free(&err);
	sv_buf_free(&name);
	return st;
}

static enum sv_status fallback_inbox(const struct sv_exec_ctx *c, const char *const *flags,
                                     size_t nflags, bool *done)
{
	if (*done)
		return SV_OK;
	enum sv_status st = store_one(c, "INBOX", 5, flags, nflags);
	if (st == SV_OK)
		*done = true;
	return st == SV_OK ? SV_OK : SV_TEMPFAIL;
}

enum sv_status sv_dlv_execute(struct sv_result *r, const struct sv_exec_ctx *c, bool implicit_keep)
{
	enum sv_status worst = SV_OK;
	bool inbox_done = false;
	/* phase 1: stores */
	for (size_t i = 0; i < r->n; i++) {
		struct sv_action *a = &r->v[i];
		if (a->executed || !a->def->is_store)
			continue;
		a->executed = true;
		const char *mb = a->target ? a->target : "INBOX";
		size_t ml = a->target ? a->tlen : 5;
		enum sv_status st = store_one(c, mb, ml, a->flags, a->has_flags ? a->nflags : 0);
		if (st == SV_OK) {
			if (sv_mailbox_is_inbox(mb, ml))
				inbox_done = true;
			continue;
		}
		/* DESIGN.md §5: a failed store falls back to INBOX */
		if (worst == SV_OK)
			worst = SV_FAIL;
		if (fallback_inbox(c, a->flags, a->has_flags ? a->nflags : 0, &inbox_done) != SV_OK)
			return SV_TEMPFAIL;
	}
	/* phase 2: what sends mail, and the rest */
	for (size_t i = 0; i < r->n; i++) {
		struct sv_action *a = &r->v[i];
		if (a->executed)
			continue;
		a->executed = true;
		if (a->def == &sv_action_discard)
			continue;
		if (a->def->is_redirect && c->submit) {
			/* RFC 5228 §4.2: the envelope sender stays the original one */
			char *to = sv_strndup(a->target, a->tlen);
			const char *rcpts[1] = {to};
			struct sv_buf err = SV_BUF_INIT;
			const char *from = c->env && c->env->from ? c->env->from : "";
			enum sv_status st =
			    c->submit->send(c->submit->ctx, from, rcpts, 1, c->msg, c->len, &err);
			if (st != SV_OK) {
				struct sv_buf q = SV_BUF_INIT;
				sv_buf_put_sanitized(&q, to, strlen(to), 256);
				report(c, "failed to redirect message to <%s>: %s", q.p,
				       err.p ? err.p : sv_status_name(st));
				sv_buf_free(&q);
				if (worst == SV_OK)
					worst = SV_FAIL;
				/* the message must not be lost: keep it */
				if (fallback_inbox(c, NULL, 0, &inbox_done) != SV_OK)
					worst = SV_TEMPFAIL;
			}
			sv_buf_free(&err);
			sv_free(to);
			continue;
		}
		report(c, "cannot execute the %s action here", a->def->name);
		if (worst == SV_OK)
			worst = SV_FAIL;
		/* it cancelled the implicit keep; undone, it must not lose the
		   message (a redirect without a submission, say): keep it */
		if (a->def->cancels_keep && !a->copy &&
		    fallback_inbox(c, NULL, 0, &inbox_done) != SV_OK)
			worst = SV_TEMPFAIL;
	}
	if (implicit_keep && !r->keep_cancelled) {
		enum sv_status st = inbox_done ? SV_OK : sv_dlv_implicit_keep(r, c);
		r->keep_cancelled = true;
		if (st != SV_OK)
			return SV_TEMPFAIL;
	}
	return worst;
}

enum sv_status sv_dlv_implicit_keep(struct sv_result *r, const struct sv_exec_ctx *c)
{
	if (r->keep_cancelled)
		return SV_OK;
	enum sv_status st =
	    store_one(c, "INBOX", 5, r->keep_flags, r->keep_has_flags ? r->nkeep_flags : 0);
	r->keep_cancelled = true;
	return st == SV_OK ? SV_OK : SV_TEMPFAIL;
}
