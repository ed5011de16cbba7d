/*
 * result.c: action list, duplicate folding, conflicts, implicit keep.
 * RFC 5228 §2.10.2 (implicit keep), §2.10.3 (duplicates), §4.1-§4.4,
 * RFC 3894 §3 (:copy), RFC 5232 §5 (flags of keep/fileinto).
 */
#include "vm/result.h"

#include <string.h>

#include "lib/alloc.h"
#include "lib/utf8.h"

bool sv_mailbox_is_inbox(const char *name, size_t len)
{
	return sv_ascii_ieq(name, len, "INBOX", 5);
}

static bool same_target(const struct sv_action *a, const struct sv_action *b)
{
	return a->tlen == b->tlen && memcmp(a->target, b->target, a->tlen) == 0;
}

/* Copy flags into the result's arena (an action's flags may live in the
 * run's arena, which goes before the result is carried out). */
static const char **copy_flags(struct sv_arena *ar, const char *const *flags, size_t n)
{
	if (!n)
		return NULL;
	const char **fl = sv_arena_array(ar, n, sizeof *fl);
	for (size_t i = 0; i < n; i++)
		fl[i] = sv_arena_strndup(ar, flags[i], strlen(flags[i]));
	return fl;
}

/* Flags of a folded store: the message is stored once, with the flags of
 * the last store named (RFC 5232 §5: the flags a store asks for are those
 * of its :flags or of the internal variable at that point; the last one
 * stands, as with setflag). A store without flags of its own (no
 * imap4flags) leaves them alone. */
static void take_flags(struct sv_action *a, const struct sv_action *b, struct sv_arena *ar)
{
	if (!b->has_flags)
		return;
	a->flags = copy_flags(ar, b->flags, b->nflags);
	a->nflags = b->nflags;
	a->has_flags = true;
}

static bool store_target_eq(const struct sv_action *a, const struct sv_action *b)
{
	bool ia = sv_mailbox_is_inbox(a->target, a->tlen);
	bool ib = sv_mailbox_is_inbox(b->target, b->tlen);
	if (ia || ib)
		return ia && ib;
	return same_target(a, b);
}

/* keep and store are one kind for folding: both file into a mailbox. */
bool sv_action_fold_store(struct sv_action *a, const struct sv_action *b)
{
	if (!a->def->is_store || !b->def->is_store || !store_target_eq(a, b))
		return false;
	/* a keep after fileinto "INBOX" turns that entry into keep */
	if (b->def == &sv_action_keep)
		a->def = &sv_action_keep;
	if (!b->copy)
		a->copy = false;
	return true;
}

bool sv_action_fold_address(struct sv_action *a, const struct sv_action *b)
{
	if (a->def != b->def)
		return false;
	/* RFC 5228 §4.2: addresses compare without case of the domain; the
	 * local part is kept exact (it may be case-sensitive) */
	if (!same_target(a, b)) {
		const char *at1 = memchr(a->target, '@', a->tlen);
		const char *at2 = memchr(b->target, '@', b->tlen);
		if (!at1 || !at2 || at1 - a->target != at2 - b->target ||
		    memcmp(a->target, b->target, (size_t)(at1 - a->target)) != 0 ||
		    !sv_ascii_ieq(at1, a->tlen - (size_t)(at1 - a->target), at2,
				  b->tlen - (size_t)(at2 - b->target)))
			return false;
	}
	if (!b->copy)
		a->copy = false;
	return true;
}

bool sv_action_fold_kind(struct sv_action *a, const struct sv_action *b)
{
	return a->def == b->def;
}

void sv_result_init(struct sv_result *r, const struct sv_settings *settings)
{
	memset(r, 0, sizeof *r);
	r->arena = sv_arena_new();
	sv_settings_init(&r->settings);
	if (settings)
		sv_settings_copy(&r->settings, settings);
}

void sv_result_free(struct sv_result *r)
{
	sv_arena_free(r->arena);
	sv_free(r->v);
	sv_settings_free(&r->settings);
	memset(r, 0, sizeof *r);
}

void sv_result_cancel(struct sv_result *r)
{
	r->n = 0;
	r->redirects = 0;
	r->keep_cancelled = false;
}

void sv_result_mark(const struct sv_result *r, struct sv_result_mark *m)
{
	m->n = r->n;
	m->redirects = r->redirects;
	m->keep_cancelled = r->keep_cancelled;
	m->keep_flags = r->keep_flags;
	m->nkeep_flags = r->nkeep_flags;
	m->keep_has_flags = r->keep_has_flags;
}

void sv_result_rewind(struct sv_result *r, const struct sv_result_mark *m)
{
	if (m->n < r->n)
		r->n = m->n;
	r->redirects = m->redirects;
	r->keep_cancelled = m->keep_cancelled;
	r->keep_flags = m->keep_flags;
	r->nkeep_flags = m->nkeep_flags;
	r->keep_has_flags = m->keep_has_flags;
}

enum sv_status sv_result_add(struct sv_result *r, const struct sv_action *a, struct sv_buf *err)
{
	for (size_t i = 0; i < r->n; i++) {
		struct sv_action *e = &r->v[i];
		if (e->def->conflicts && !e->def->conflicts(e, a, err))
			return SV_FAIL;
		if (a->def->conflicts && !a->def->conflicts(a, e, err))
			return SV_FAIL;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct sv_action *e = &r->v[i];
		if (e->executed)
			continue;
		if (a->def->duplicate && a->def->duplicate(e, a)) {
			take_flags(e, a, r->arena);
			if (a->def->cancels_keep && !a->copy)
				r->keep_cancelled = true;
			return SV_OK;
		}
	}
	if (r->n >= r->settings.max_actions) {
		sv_buf_printf(err, "total number of actions exceeds policy limit (%llu)",
			      (unsigned long long)r->settings.max_actions);
		return SV_LIMIT;
	}
	if (a->def->is_redirect) {
		if (r->redirects >= r->settings.max_redirects) {
			sv_buf_printf(err,
				      "number of redirect actions exceeds policy limit (%llu)",
				      (unsigned long long)r->settings.max_redirects);
			return SV_LIMIT;
		}
		r->redirects++;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		r->v = sv_realloc(r->v, r->cap * sizeof *r->v);
	}
	struct sv_action *n = &r->v[r->n++];
	*n = *a;
	n->target = a->target ? sv_arena_strndup(r->arena, a->target, a->tlen) : NULL;
	if (a->nflags)
		n->flags = copy_flags(r->arena, a->flags, a->nflags);
	if (a->def->cancels_keep && !a->copy)
		r->keep_cancelled = true;
	return SV_OK;
}

bool sv_result_implicit_keep_pending(const struct sv_result *r)
{
	if (r->keep_cancelled)
		return false;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].def->is_store && sv_mailbox_is_inbox(r->v[i].target, r->v[i].tlen))
			return false;
	return true;
}

static void put_flags(struct sv_buf *out, const char *const *flags, size_t n)
{
	sv_buf_putc(out, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			sv_buf_putc(out, ' ');
		sv_buf_put_sanitized(out, flags[i], strlen(flags[i]), 200);
	}
	sv_buf_putc(out, ']');
}

void sv_result_summary(const struct sv_result *r, struct sv_buf *out)
{
	size_t count = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct sv_action *a = &r->v[i];
		if (count++)
			sv_buf_putc(out, ',');
		if (a->def == &sv_action_keep) {
			sv_buf_puts(out, "keep");
		} else if (a->def->is_store) {
			sv_buf_puts(out, "fileinto:");
			sv_buf_put_sanitized(out, a->target, a->tlen, 512);
		} else {
			sv_buf_puts(out, a->def->name);
			if (a->target) {
				sv_buf_putc(out, ':');
				sv_buf_put_sanitized(out, a->target, a->tlen, 512);
			}
		}
		if (a->def->is_store && a->has_flags && a->nflags)
			put_flags(out, a->flags, a->nflags);
	}
	if (sv_result_implicit_keep_pending(r)) {
		if (count++)
			sv_buf_putc(out, ',');
		sv_buf_puts(out, "keep");
		if (r->keep_has_flags && r->nkeep_flags)
			put_flags(out, r->keep_flags, r->nkeep_flags);
	}
}

void sv_result_print(const struct sv_result *r, struct sv_buf *out)
{
	if (r->n == 0)
		sv_buf_puts(out, "  (no actions)\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct sv_action *a = &r->v[i];
		sv_buf_puts(out, "  * ");
		a->def->describe(a, out);
		if (a->copy)
			sv_buf_puts(out, " (:copy)");
		if (a->line)
			sv_buf_printf(out, " (line %u)", a->line);
		sv_buf_putc(out, '\n');
		if (a->has_flags && a->nflags) {
			sv_buf_puts(out, "      with flags ");
			put_flags(out, a->flags, a->nflags);
			sv_buf_putc(out, '\n');
		}
	}
	if (sv_result_implicit_keep_pending(r)) {
		sv_buf_puts(out, "  * implicit keep: keep message in INBOX\n");
		if (r->keep_has_flags && r->nkeep_flags) {
			sv_buf_puts(out, "      with flags ");
			put_flags(out, r->keep_flags, r->nkeep_flags);
			sv_buf_putc(out, '\n');
		}
	}
}
