/*
 * execute.c: carries out a result as one transaction (DESIGN.md §4;
 * RFC 5228 §2.10.2 implicit keep, §2.10.6 errors, §4.2 redirect, RFC 5232
 * §5 flags).
 *
 * Every action kind says how it is carried out (prepare, commit, rollback,
 * release in its descriptor); this file knows none of them by name. All
 * actions are prepared first, stores before sends before state writes, so
 * that whatever can fail fails before anything is visible, and the store
 * makes every prepared message durable at once (flush); then they are
 * committed in the same order, the store syncing its folders once after
 * the last store commit. A temporary failure rolls every store back
 * (committed ones too, while no send has gone out) and the delivery is
 * retried by the MTA; an action that simply cannot be carried out is
 * reported and the message is kept in INBOX instead, so it is never lost.
 *
 * Each action files or sends the message version it was recorded with
 * (editheader, RFC 5293); the implicit keep the final one.
 * State writes (duplicate's marks) are actions of the state phase, carried
 * out last; vacation commits its mark with its send.
 */
#include "delivery/execute.h"

#include <stdarg.h>
#include <string.h>

#include "lib/alloc.h"
#include "delivery/lda.h"
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

/* ---- the message an action carries ---- */

/* The bytes of the version an action was recorded with (RFC 5293: a
 * later fileinto sees the edited header, an earlier one does not), or
 * the message as delivered. Valid until the next call: the message holds
 * one rendering at a time, so each step hands them on (prepare writes or
 * copies them) before the next step asks. */
static const char *action_bytes(const struct sv_exec_ctx *c, unsigned version, size_t *len_r)
{
	if (c->message && version) {
		const char *p = sv_msg_render(c->message, version, len_r);
		if (p)
			return p;
	}
	*len_r = c->len;
	return c->msg;
}

/* The store's name for those bytes: the caller's for version 0, one of
 * their own for an edited version (never shared with another version),
 * 0 (no sharing) past what the naming can tell apart. */
static unsigned store_version(const struct sv_exec_ctx *c, unsigned version)
{
	if (!c->message || !version)
		return c->msg_version;
	if (!c->msg_version || c->msg_version >= 0x10000u || version >= 0x10000u)
		return 0;
	return c->msg_version << 16 | version;
}

/* ---- the steps of the store kinds (keep, fileinto) ---- */

enum sv_status sv_dlv_store_prepare(struct sv_txn *t, struct sv_action *a, struct sv_buf *err)
{
	const struct sv_exec_ctx *c = t->c;
	const char *mb = a->target ? a->target : "INBOX";
	size_t ml = a->target ? a->tlen : 5;
	if (!c->store) {
		sv_buf_puts(err, "no mail store to file into");
		return SV_FAIL;
	}
	struct sv_store_txn *tx = NULL;
	struct sv_buf why = SV_BUF_INIT;
	size_t len;
	const char *bytes = action_bytes(c, a->msg_version, &len);
	c->store->msg_version = store_version(c, a->msg_version);
	enum sv_status st = c->store->prepare(c->store, mb, ml, bytes, len, a->flags,
					      a->has_flags ? a->nflags : 0, &tx, &why);
	if (st == SV_OK) {
		a->txn = tx;
		if (sv_mailbox_is_inbox(mb, ml))
			t->inbox_prepared = true;
	} else {
		sv_buf_puts(err, "failed to store into mailbox '");
		sv_buf_put_sanitized(err, mb, ml, 128);
		sv_buf_printf(err, "': %s", why.p ? why.p : sv_status_name(st));
	}
	sv_buf_free(&why);
	return st;
}

enum sv_status sv_dlv_keep_prepare(struct sv_txn *t, struct sv_action *a, struct sv_buf *err)
{
	const char *km = t->c->keep_mailbox;
	if (km && !sv_mailbox_is_inbox(km, strlen(km))) {
		/* sieve-deliver -m: there first, INBOX when that fails */
		struct sv_action there = *a;
		there.target = km;
		there.tlen = strlen(km);
		enum sv_status st = sv_dlv_store_prepare(t, &there, err);
		if (st != SV_FAIL) {
			a->txn = there.txn;
			return st;
		}
		report(t->c, "%s", err->p ? err->p : sv_status_name(st));
		sv_buf_reset(err);
	}
	struct sv_action inbox = *a;
	inbox.target = "INBOX";
	inbox.tlen = 5;
	enum sv_status st = sv_dlv_store_prepare(t, &inbox, err);
	a->txn = inbox.txn;
	return st;
}

enum sv_status sv_dlv_store_commit(struct sv_txn *t, struct sv_action *a, struct sv_buf *err)
{
	return t->c->store->commit(t->c->store, a->txn, err);
}

void sv_dlv_store_rollback(struct sv_txn *t, struct sv_action *a)
{
	t->c->store->rollback(t->c->store, a->txn);
	a->txn = NULL;
}

void sv_dlv_store_release(struct sv_txn *t, struct sv_action *a)
{
	t->c->store->release(t->c->store, a->txn);
	a->txn = NULL;
}

/* ---- the steps of redirect ---- */

/* A redirect that would make a loop is refused (the message is kept). */
static enum sv_status loop_check(const struct sv_exec_ctx *c, const char *to, struct sv_buf *why)
{
	if (c->recipient && sv_ascii_ieqz(to, c->recipient)) {
		sv_buf_puts(why, "the recipient's own address (a mail loop)");
		return SV_FAIL;
	}
	if (c->recipient &&
	    sv_lda_header_count(c->msg, c->len, "X-Sieve-Redirected-From", c->recipient)) {
		sv_buf_puts(why, "the message was redirected by this recipient before (a mail loop)");
		return SV_FAIL;
	}
	size_t hops = c->max_delivered_to ? sv_lda_header_count(c->msg, c->len, "Delivered-To", NULL)
					  : 0;
	if (hops > c->max_delivered_to) {
		sv_buf_printf(why, "%zu Delivered-To fields, more than %zu (a mail loop)", hops,
			      c->max_delivered_to);
		return SV_FAIL;
	}
	return SV_OK;
}

enum sv_status sv_dlv_redirect_prepare(struct sv_txn *t, struct sv_action *a, struct sv_buf *err)
{
	const struct sv_exec_ctx *c = t->c;
	if (!c->submit) {
		sv_buf_puts(err, "cannot redirect: no way to send mail here");
		return SV_FAIL;
	}
	char *to = sv_strndup(a->target, a->tlen);
	struct sv_buf why = SV_BUF_INIT, out = SV_BUF_INIT;
	/* the loop marks are looked for in the message as it arrived (a
	   script that deleted them must not make a loop), and the message
	   sent is the version the redirect was recorded with (RFC 5293) */
	enum sv_status st = loop_check(c, to, &why);
	size_t len;
	const char *bytes = action_bytes(c, a->msg_version, &len);
	if (st == SV_OK && c->recipient) {
		/* marked against loops; without the Return-Path the final
		   delivery added, which a message sent on must not carry
		   (RFC 5321 §4.4): the next delivery adds its own */
		sv_buf_printf(&out, "X-Sieve-Redirected-From: <%s>\n", c->recipient);
		sv_lda_copy_without(bytes, len, "Return-Path", &out);
	}
	/* RFC 5228 §4.2: the envelope sender stays the original one */
	const char *rcpts[1] = {to};
	const char *from = c->env && c->env->from ? c->env->from : "";
	if (c->redirect_from && *from)
		from = c->redirect_from;
	struct sv_mail_out m = {
	    .from = from,
	    .rcpts = rcpts,
	    .nrcpts = 1,
	    .msg = out.len ? out.p : bytes,
	    .len = out.len ? out.len : len,
	};
	struct sv_submit_txn *tx = NULL;
	if (st == SV_OK)
		st = c->submit->prepare(c->submit, &m, &tx, &why);
	sv_buf_free(&out);
	if (st == SV_OK) {
		a->txn = tx;
	} else {
		sv_buf_puts(err, "failed to redirect message to <");
		sv_buf_put_sanitized(err, to, strlen(to), 256);
		sv_buf_printf(err, ">: %s", why.p ? why.p : sv_status_name(st));
	}
	sv_buf_free(&why);
	sv_free(to);
	return st;
}

struct sv_msg *sv_dlv_exec_message(const struct sv_exec_ctx *c)
{
	if (c->message && sv_msg_version(c->message) == 0)
		return c->message;
	return sv_msg_new_borrowed(c->msg ? c->msg : "", c->msg ? c->len : 0);
}

void sv_dlv_exec_message_done(const struct sv_exec_ctx *c, struct sv_msg *m)
{
	if (m != c->message)
		sv_msg_free(m);
}

enum sv_status sv_dlv_send_commit(struct sv_txn *t, struct sv_action *a, const char *what,
				  const char *to, size_t tolen, struct sv_buf *err)
{
	if (!a->txn)
		return SV_OK; /* nothing was to be sent */
	struct sv_buf why = SV_BUF_INIT;
	struct sv_submission *sub = t->c->submit;
	enum sv_status st = sub->commit(sub, a->txn, &why);
	a->txn = NULL;
	if (st != SV_OK) {
		sv_buf_printf(err, "failed to %s", what);
		if (to) {
			sv_buf_puts(err, " <");
			sv_buf_put_sanitized(err, to, tolen, 256);
			sv_buf_puts(err, ">");
		}
		sv_buf_printf(err, ": %s", why.p ? why.p : sv_status_name(st));
	}
	sv_buf_free(&why);
	return st;
}

void sv_dlv_send_rollback(struct sv_txn *t, struct sv_action *a)
{
	if (a->txn)
		t->c->submit->rollback(t->c->submit, a->txn);
	a->txn = NULL;
}

enum sv_status sv_dlv_redirect_commit(struct sv_txn *t, struct sv_action *a, struct sv_buf *err)
{
	return sv_dlv_send_commit(t, a, "redirect message to", a->target, a->tlen, err);
}

void sv_dlv_redirect_rollback(struct sv_txn *t, struct sv_action *a)
{
	sv_dlv_send_rollback(t, a);
}

const char *sv_dlv_redirect_sender(const char *rule, const struct sv_envelope *env,
				   const char *user_email, const char *postmaster,
				   struct sv_buf *out)
{
	const char *orig = env && env->from ? env->from : "";
	if (!*orig || !rule || strcmp(rule, "sender") == 0)
		return orig;
	const char *v = NULL;
	if (strcmp(rule, "recipient") == 0)
		v = env->final_to ? env->final_to : env->to;
	else if (strcmp(rule, "orig_recipient") == 0)
		v = env->orig_to ? env->orig_to : env->to;
	else if (strcmp(rule, "user_email") == 0)
		v = user_email;
	else if (strcmp(rule, "postmaster") == 0)
		v = postmaster;
	else if (rule[0] == '<' && strlen(rule) >= 2) {
		sv_buf_reset(out);
		sv_buf_append(out, rule + 1, strlen(rule) - 2);
		v = out->p ? out->p : "";
	}
	return v && *v ? v : orig;
}

/* ---- the transaction ---- */

struct step {
	struct sv_action *a;
	bool committed;
};

struct plan {
	struct sv_txn t;
	struct step *v;
	size_t n;
	/* the INBOX store the executor adds itself: the implicit keep, or
	   the fallback of an action that could not be carried out */
	struct sv_action inbox;
	bool need_inbox;
	const char **inbox_flags;
	size_t ninbox_flags;
	bool inbox_has_flags;
	unsigned inbox_version; /* the message version it files */
};

/* Roll every step back, the committed stores too: stores are prepared and
 * committed before any send, so when this runs nothing has left the host
 * and the retry finds nothing of this attempt. */
static void undo(struct plan *p)
{
	for (size_t i = p->n; i-- > 0;) {
		const struct sv_action_def *d = p->v[i].a->def;
		if (d->rollback)
			d->rollback(&p->t, p->v[i].a);
	}
	p->n = 0;
}

static void finish(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct sv_action_def *d = p->v[i].a->def;
		if (d->release)
			d->release(&p->t, p->v[i].a);
	}
	p->n = 0;
}

/* Prepare one action; SV_FAIL is reported here (and the message kept). */
static enum sv_status prepare_one(struct plan *p, struct sv_action *a, enum sv_status *worst)
{
	struct sv_buf err = SV_BUF_INIT;
	enum sv_status st;
	if (!a->def->prepare) {
		sv_buf_printf(&err, "cannot execute the %s action here", a->def->name);
		st = SV_FAIL;
	} else {
		st = a->def->prepare(&p->t, a, &err);
	}
	if (st == SV_OK) {
		p->v[p->n++] = (struct step){a, false};
	} else {
		report(p->t.c, "%s", err.p ? err.p : sv_status_name(st));
		if (st != SV_TEMPFAIL && st != SV_LIMIT && st != SV_NOMEM) {
			st = SV_OK;
			if (*worst == SV_OK)
				*worst = SV_FAIL;
			/* undone, an action that cancelled the implicit keep must
			   not lose the message: it goes to INBOX, with the flags
			   it asked for */
			if (a->def->cancels_keep && !a->copy && !p->need_inbox) {
				p->need_inbox = true;
				p->inbox_flags = a->flags;
				p->ninbox_flags = a->has_flags ? a->nflags : 0;
				p->inbox_has_flags = a->has_flags;
				p->inbox_version = a->msg_version;
			}
		}
	}
	sv_buf_free(&err);
	return st;
}

static enum sv_status prepare_all(struct plan *p, struct sv_result *r)
{
	enum sv_status worst = SV_OK;
	static const enum sv_action_phase order[] = {SV_PHASE_STORE, SV_PHASE_SEND, SV_PHASE_STATE,
						     SV_PHASE_NONE};
	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
		for (size_t i = 0; i < r->n; i++) {
			struct sv_action *a = &r->v[i];
			if (a->executed || a->def->phase != order[k])
				continue;
			if (a->def->phase == SV_PHASE_NONE && !a->def->prepare)
				continue; /* discard: nothing to carry out */
			enum sv_status st = prepare_one(p, a, &worst);
			if (st == SV_TEMPFAIL || st == SV_NOMEM)
				return SV_TEMPFAIL;
			if (st == SV_LIMIT)
				return SV_LIMIT;
		}
	}
	return worst;
}

static enum sv_status prepare_inbox(struct plan *p)
{
	if (!p->need_inbox || p->t.inbox_prepared)
		return SV_OK;
	p->inbox = (struct sv_action){.def = &sv_action_keep,
				      .target = "INBOX",
				      .tlen = 5,
				      .flags = p->inbox_flags,
				      .nflags = p->ninbox_flags,
				      .has_flags = p->inbox_has_flags,
				      .msg_version = p->inbox_version};
	struct sv_buf err = SV_BUF_INIT;
	enum sv_status st = sv_dlv_keep_prepare(&p->t, &p->inbox, &err);
	if (st == SV_OK)
		p->v[p->n++] = (struct step){&p->inbox, false};
	else
		report(p->t.c, "%s", err.p ? err.p : sv_status_name(st));
	sv_buf_free(&err);
	/* INBOX is the last resort: if it cannot be filed, retry later
	   (unless it refuses the message for good: over quota) */
	return st == SV_OK || st == SV_LIMIT ? st : SV_TEMPFAIL;
}

/* The store's batched disk waits (store.h): after the last prepare every
 * written message is made durable at once, after the last commit every
 * folder that got one. A failure is a temporary failure of the delivery. */
static enum sv_status store_step(struct plan *p, bool flush)
{
	const struct sv_exec_ctx *c = p->t.c;
	if (!c->store || !(flush ? c->store->flush : c->store->sync))
		return SV_OK;
	bool any = false;
	for (size_t i = 0; i < p->n && !any; i++)
		any = p->v[i].a->def->phase == SV_PHASE_STORE;
	if (!any)
		return SV_OK;
	struct sv_buf err = SV_BUF_INIT;
	enum sv_status st = flush ? c->store->flush(c->store, &err) : c->store->sync(c->store, &err);
	if (st != SV_OK) {
		report(c, "%s", err.p ? err.p : sv_status_name(st));
		st = SV_TEMPFAIL;
	}
	sv_buf_free(&err);
	return st;
}

/* Commit one step: SV_TEMPFAIL (everything rolled back) when a store
 * failed; a send that failed is reported in *worst. */
static enum sv_status commit_one(struct plan *p, struct step *s, enum sv_status *worst)
{
	const struct sv_action_def *d = s->a->def;
	if (!d->commit)
		return SV_OK;
	struct sv_buf err = SV_BUF_INIT;
	enum sv_status st = d->commit(&p->t, s->a, &err);
	if (st == SV_OK) {
		s->committed = true;
	} else {
		report(p->t.c, "%s", err.p ? err.p : sv_status_name(st));
	}
	sv_buf_free(&err);
	if (st == SV_OK)
		return SV_OK;
	if (d->phase == SV_PHASE_STORE) {
		undo(p);
		return SV_TEMPFAIL;
	}
	if (*worst == SV_OK)
		*worst = SV_FAIL;
	if (d->rollback)
		d->rollback(&p->t, s->a);
	if (d->cancels_keep && !s->a->copy && !p->t.inbox_prepared) {
		/* the sends come after the stores: keep it now */
		struct sv_buf e2 = SV_BUF_INIT;
		struct sv_exec_ctx const *c = p->t.c;
		size_t len;
		const char *bytes = action_bytes(c, s->a->msg_version, &len);
		if (c->store)
			c->store->msg_version = store_version(c, s->a->msg_version);
		enum sv_status k =
		    c->store ? sv_dlv_store_save(c->store, "INBOX", 5, bytes, len, NULL, 0, &e2)
			     : SV_TEMPFAIL;
		if (k != SV_OK) {
			report(c, "failed to store into mailbox 'INBOX': %s",
			       e2.p ? e2.p : "no mail store");
			*worst = SV_TEMPFAIL;
		} else {
			p->t.inbox_prepared = true;
		}
		sv_buf_free(&e2);
	}
	return SV_OK;
}

/* Commit the stores (the INBOX the executor added among them), sync them,
 * then the rest in preparation order. A store that fails to commit or
 * sync rolls back every store (the retry finds none of them); a send that
 * fails is reported and the message kept. */
static enum sv_status commit_all(struct plan *p, enum sv_status worst)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < p->n; i++) {
			struct step *s = &p->v[i];
			if ((s->a->def->phase == SV_PHASE_STORE) != (pass == 0))
				continue;
			enum sv_status st = commit_one(p, s, &worst);
			if (st != SV_OK)
				return st;
		}
		if (pass == 0 && store_step(p, false) != SV_OK) {
			undo(p);
			return SV_TEMPFAIL;
		}
	}
	return worst;
}

enum sv_status sv_dlv_execute(struct sv_result *r, const struct sv_exec_ctx *c, bool implicit_keep)
{
	struct plan p = {.t = {.c = c}};
	p.v = sv_malloc((r->n + 1) * sizeof *p.v);
	enum sv_status worst = prepare_all(&p, r);
	bool abort = worst == SV_TEMPFAIL || worst == SV_LIMIT;
	if (!abort && implicit_keep && sv_result_implicit_keep_pending(r) && !p.need_inbox) {
		p.need_inbox = true;
		p.inbox_flags = r->keep_flags;
		p.ninbox_flags = r->keep_has_flags ? r->nkeep_flags : 0;
		p.inbox_has_flags = r->keep_has_flags;
		/* the implicit keep takes effect when every script has
		   ended (RFC 5228 §2.10.2), so it files the header as they
		   left it (RFC 5293 §7: what follows an edit sees it) */
		p.inbox_version = c->message ? sv_msg_version(c->message) : 0;
	}
	if (!abort) {
		enum sv_status ib = prepare_inbox(&p);
		if (ib == SV_OK)
			ib = store_step(&p, true);
		if (ib != SV_OK) {
			worst = ib;
			abort = true;
		}
	}
	if (abort) {
		undo(&p);
		sv_free(p.v);
		return worst;
	}
	worst = commit_all(&p, worst);
	finish(&p);
	sv_free(p.v);
	for (size_t i = 0; i < r->n; i++)
		r->v[i].executed = true;
	if (implicit_keep)
		r->keep_cancelled = true;
	return worst;
}

enum sv_status sv_dlv_implicit_keep(struct sv_result *r, const struct sv_exec_ctx *c)
{
	if (r->keep_cancelled)
		return SV_OK;
	struct sv_result none;
	sv_result_init(&none, NULL);
	none.keep_flags = r->keep_flags;
	none.nkeep_flags = r->nkeep_flags;
	none.keep_has_flags = r->keep_has_flags;
	enum sv_status st = sv_dlv_execute(&none, c, true);
	sv_result_free(&none);
	r->keep_cancelled = true;
	return st == SV_OK ? SV_OK : SV_TEMPFAIL;
}
