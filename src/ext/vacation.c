/*
 * vacation.c: the vacation extension (RFC 5230) and vacation-seconds
 * (RFC 6131): the vacation action, an automatic reply to the sender.
 *
 * When the command runs, everything about the reply that depends on the
 * message is decided: whether one may be sent at all (§4.5, §4.6), its
 * period (§4.1, RFC 6131 §2), the tracking key (§4.2) and the reply
 * itself, composed (§5, src/mail/compose.c) into the action. The action
 * is carried out in the transaction's send phase: prepare claims the
 * key in the user's state store (delivery/state.h), so that of two
 * deliveries running at once only one replies, and hands the reply to
 * the submission when the claim was won; commit lets the reply go and
 * then records the mark; a rollback releases the claim, so the MTA's
 * retry replies.
 *
 * Not done: :from is not checked against the user's own addresses
 * (§4.3 allows refusing it; the address is only checked to be one).
 */
#include <string.h>
#include <unistd.h>

#include "delivery/execute.h"
#include "delivery/run.h"
#include "ext/registry.h"
#include "lib/arena.h"
#include "lib/utf8.h"
#include "mail/compose.h"
#include "mail/message.h"
#include "parser/validate.h"
#include "vm/address.h"
#include "vm/result.h"
#include "vm/vm.h"

enum { OPT_DAYS, OPT_SUBJECT, OPT_FROM, OPT_ADDRESSES, OPT_MIME, OPT_HANDLE };
enum { OPT_SECONDS }; /* vacation-seconds' */
enum { SET_MIN_PERIOD, SET_MAX_PERIOD, SET_DEFAULT_PERIOD };

/* the largest reply composed */
#define VAC_MAX_REPLY (1024 * 1024)
/* the longest Subject of a reply, in bytes (RFC 5322 §2.1.1: well within
 * a field the composer folds) */
#define VAC_MAX_SUBJECT 900

static const struct sv_setting_info vacation_settings[] = {
	[SET_MIN_PERIOD] = {"vacation-min-period", "sieve_vacation_min_period", SV_SETTING_SECONDS,
	                    0, 0, 3650 * 86400ull, NULL,
	                    "shortest period between two vacation replies to one sender; :days "
	                    "is at least one day whatever this says (RFC 5230 §4.1), :seconds "
	                    "(RFC 6131) may go down to it, and 0 lets :seconds 0 reply every time"},
	[SET_MAX_PERIOD] = {"vacation-max-period", "sieve_vacation_max_period", SV_SETTING_SECONDS,
	                    60 * 86400, 7 * 86400, 3650 * 86400ull, NULL,
	                    "longest period :days or :seconds may ask for (RFC 5230 §4.1: more "
	                    "than 7 days)"},
	[SET_DEFAULT_PERIOD] = {"vacation-default-period", "sieve_vacation_default_period",
	                        SV_SETTING_SECONDS, 7 * 86400, 0, 3650 * 86400ull, NULL,
	                        "period of a vacation action without :days or :seconds"},
	{NULL},
};

/* What the action carries: the reply composed when the command ran, or
 * why there is none. */
struct vac {
	struct sv_run_state *state; /* the program's; NULL: nothing tracked */
	const char *sender;         /* the reply's recipient (envelope sender) */
	const char *no_reply;       /* NULL: reply; else why not (§4.5, §4.6) */
	char *key;                  /* sender NUL handle (§4.2) */
	size_t klen;
	time_t now, expires;        /* expires == now: always reply (RFC 6131) */
	char *reply;
	size_t rlen;
	const char *subject;        /* for describe */
	const void *script;         /* the binary whose run recorded it */
	bool claimed;               /* prepare took the key */
};

static const struct sv_action_def sv_action_vacation;

/* ---- the action ---- */

static enum sv_status vac_prepare(struct sv_txn *t, struct sv_action *a, struct sv_buf *err)
{
	struct vac *v = a->data;
	v->claimed = false;
	if (v->no_reply)
		return SV_OK;
	struct sv_submission *sub = t->c->submit;
	if (!sub) {
		sv_buf_puts(err, "vacation: cannot send the reply: no way to send mail here");
		return SV_FAIL;
	}
	if (v->state && v->expires > v->now) {
		/* §4.2: one reply per sender and handle within the period */
		bool won = false;
		enum sv_status st = sv_run_state_claim(v->state, "vacation", v->key, v->klen, v->now,
		                                       v->expires, &won, err);
		if (st != SV_OK)
			return st == SV_FAIL ? SV_TEMPFAIL : st;
		if (!won)
			return SV_OK;
		v->claimed = true;
	}
	/* §5: the reply's envelope sender is null, so nothing bounces back
	   or auto-replies to it */
	const char *rcpts[1] = {v->sender};
	struct sv_mail_out m = {.from = "", .rcpts = rcpts, .nrcpts = 1, .msg = v->reply,
	                        .len = v->rlen};
	struct sv_submit_txn *tx = NULL;
	struct sv_buf why = SV_BUF_INIT;
	enum sv_status st = sub->prepare(sub, &m, &tx, &why);
	if (st == SV_OK) {
		a->txn = tx;
	} else {
		sv_buf_puts(err, "vacation: failed to send the reply to <");
		sv_buf_put_sanitized(err, v->sender, strlen(v->sender), 256);
		sv_buf_printf(err, ">: %s", why.p ? why.p : sv_status_name(st));
		if (v->claimed)
			sv_run_state_rollback(v->state);
		v->claimed = false;
	}
	sv_buf_free(&why);
	return st;
}

static enum sv_status vac_commit(struct sv_txn *t, struct sv_action *a, struct sv_buf *err)
{
	struct vac *v = a->data;
	if (!a->txn)
		return SV_OK; /* no reply, or one went out within the period */
	struct sv_buf why = SV_BUF_INIT;
	enum sv_status st =
	    sv_dlv_send_commit(t, a, "send the vacation reply to", v->sender, strlen(v->sender), err);
	if (st == SV_OK && v->claimed) {
		/* the reply is handed over: now it counts */
		st = sv_run_state_commit(v->state, &why);
		if (st != SV_OK)
			sv_buf_printf(err, "vacation: the reply was sent but not recorded: %s",
			              why.p ? why.p : sv_status_name(st));
		else
			v->claimed = false;
	}
	sv_buf_free(&why);
	return st;
}

static void vac_rollback(struct sv_txn *t, struct sv_action *a)
{
	struct vac *v = a->data;
	sv_dlv_send_rollback(t, a);
	if (v->claimed)
		sv_run_state_rollback(v->state); /* the retry replies */
	v->claimed = false;
}

/* §4.7: one vacation per script; RFC 5429 §2.1: not with reject. */
static bool vac_conflicts(const struct sv_action *a, const struct sv_action *b,
                          struct sv_buf *err)
{
	if (a->def == b->def) {
		const struct vac *x = a->data, *y = b->data;
		if (x->script != y->script)
			return true; /* two scripts of a chain: vac_fold */
		sv_buf_puts(err, "vacation: only one vacation action may be executed");
		return false;
	}
	const struct sv_action *other = a->def == &sv_action_vacation ? b : a;
	if (strcmp(other->def->name, "reject") == 0 || strcmp(other->def->name, "ereject") == 0) {
		sv_buf_printf(err, "vacation: cannot be used with %s", other->def->name);
		return false;
	}
	return true;
}

/* Two scripts of one delivery (before, personal, after) each reply:
 * the sender gets the first one only. §4.7 makes a second vacation an
 * error within one script; across scripts that error would discard the
 * later script's other actions (RFC 5228 §2.10.6) for a reply that adds
 * nothing. */
static bool vac_fold(struct sv_action *a, const struct sv_action *b)
{
	return a->def == b->def;
}

static void vac_describe(const struct sv_action *a, struct sv_buf *out)
{
	const struct vac *v = a->data;
	if (v->no_reply) {
		sv_buf_printf(out, "vacation: no reply: %s", v->no_reply);
		return;
	}
	sv_buf_puts(out, "send vacation reply to: <");
	sv_buf_put_sanitized(out, v->sender, strlen(v->sender), 256);
	sv_buf_puts(out, "> subject: ");
	sv_buf_put_sanitized(out, v->subject, strlen(v->subject), 200);
}

static const struct sv_action_def sv_action_vacation = {
	.name = "vacation", .phase = SV_PHASE_SEND,
	.prepare = vac_prepare, .commit = vac_commit, .rollback = vac_rollback,
	.conflicts = vac_conflicts, .duplicate = vac_fold, .describe = vac_describe,
};

/* ---- deciding ---- */

/* Does the binary require this extension? */
static bool requires(const struct sv_vm *vm, const struct sv_ext_def *e)
{
	for (size_t i = 0; i < vm->bin->nexts; i++)
		if (vm->bin->exts[i] == e)
			return true;
	return false;
}

static bool addr_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return sv_ascii_ieq(a, alen, b, blen);
}

/* The local part of an address ("" when it has none). */
static size_t local_len(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at ? (size_t)(at - addr) : strlen(addr);
}

/* §4.6: senders that are programs: a mailer's bounces and list servers. */
static bool automated_sender(const char *s)
{
	size_t n = local_len(s);
	static const char *const names[] = {"mailer-daemon", "listserv", "majordomo", NULL};
	for (size_t i = 0; names[i]; i++)
		if (sv_ascii_ieq(s, n, names[i], strlen(names[i])))
			return true;
	if (n >= 6 && sv_ascii_ieq(s, 6, "owner-", 6))
		return true;
	if (n >= 8 && sv_ascii_ieq(s + n - 8, 8, "-request", 8))
		return true;
	return false;
}

/* A field's first word, case-insensitively: "bulk" in "Bulk (x)". */
static bool first_word_is(const char *v, size_t len, const char *word)
{
	while (len && sv_ascii_isspace((unsigned char)*v)) {
		v++;
		len--;
	}
	size_t n = 0;
	while (n < len && !sv_ascii_isspace((unsigned char)v[n]) && v[n] != ';' && v[n] != '(')
		n++;
	return sv_ascii_ieq(v, n, word, strlen(word));
}

/* §4.6: mail from automated processes and mailing lists gets no reply. */
static const char *automated_message(struct sv_vm *vm)
{
	/* RFC 2919, RFC 2369 */
	static const char *const lists[] = {"list-id", "list-help", "list-subscribe",
	                                    "list-unsubscribe", "list-post", "list-owner",
	                                    "list-archive", NULL};
	for (size_t i = 0; lists[i]; i++)
		if (sv_msg_header(vm->msg, lists[i], strlen(lists[i])))
			return "the message comes from a mailing list";
	/* RFC 3834 §5: anything but "no" was sent by a program */
	struct sv_hdr *h = sv_msg_header(vm->msg, "auto-submitted", 14);
	if (h) {
		size_t len;
		const char *v = sv_msg_header_decoded(vm->msg, h, &len);
		if (!first_word_is(v, len, "no"))
			return "the message was sent automatically (Auto-Submitted)";
	}
	/* common practice, RFC 3834 §3.1.8 */
	for (h = sv_msg_header(vm->msg, "precedence", 10); h; h = h->next_same) {
		size_t len;
		const char *v = sv_msg_header_decoded(vm->msg, h, &len);
		if (first_word_is(v, len, "bulk") || first_word_is(v, len, "list") ||
		    first_word_is(v, len, "junk"))
			return "the message is bulk mail (Precedence)";
	}
	return NULL;
}

/* The user's own addresses (§4.5): the run's, :addresses, the envelope
 * recipients. */
struct mine {
	struct sv_str *v;
	size_t n;
};

static void mine_add(struct sv_arena *ar, struct mine *m, size_t cap, const char *p, size_t len)
{
	if (!p || !len || m->n >= cap)
		return;
	/* a bare addr-spec, whatever way it was written */
	struct sv_addr_list al;
	sv_addr_parse_list(ar, p, len, &al);
	if (al.n == 1 && al.v[0].valid && al.v[0].domain)
		m->v[m->n++] = (struct sv_str){al.v[0].addr, al.v[0].alen};
	else
		m->v[m->n++] = (struct sv_str){p, len};
}

static bool is_mine(const struct mine *m, const char *a, size_t alen)
{
	for (size_t i = 0; i < m->n; i++)
		if (addr_eq(m->v[i].p, m->v[i].len, a, alen))
			return true;
	return false;
}

/* §4.5: is the message addressed to the user in its header? The address
 * found is what the reply comes from by default. */
static bool addressed_to_me(struct sv_vm *vm, const struct mine *m, struct sv_str *found)
{
	static const char *const fields[] = {"to", "cc", "bcc", "resent-to", "resent-cc",
	                                     "resent-bcc", NULL};
	for (size_t i = 0; fields[i]; i++) {
		for (struct sv_hdr *h = sv_msg_header(vm->msg, fields[i], strlen(fields[i])); h;
		     h = h->next_same) {
			const struct sv_addr_list *al = sv_msg_header_addresses(vm->msg, h);
			for (size_t k = 0; k < al->n; k++) {
				if (al->v[k].valid && is_mine(m, al->v[k].addr, al->v[k].alen)) {
					found->p = al->v[k].addr;
					found->len = al->v[k].alen;
					return true;
				}
			}
		}
	}
	return false;
}

/* FNV-1a over a length and the bytes, so that fields cannot run into
 * each other. */
static uint64_t fnv(uint64_t h, const char *p, size_t len)
{
	for (size_t i = 0; i < sizeof len; i++) {
		h ^= (unsigned char)(len >> (8 * i));
		h *= 0x100000001b3ull;
	}
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* RFC 5322 §3.2.3: a dot-atom host name, as a Message-ID's right side. */
static bool host_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.' || strstr(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!sv_ascii_isalpha((unsigned char)s[i]) && !sv_ascii_isdigit((unsigned char)s[i]) &&
		    s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* The Message-ID's host: the From address's domain, else the system's
 * name, else "localhost". */
static enum sv_status message_id(struct sv_compose *c, const char *from)
{
	const char *at = strrchr(from, '@');
	if (at && host_name(at + 1))
		return sv_compose_message_id(c, at + 1);
	char host[256];
	sv_ext_host_name(host, sizeof host);
	return sv_compose_message_id(c, host);
}

static enum sv_status op_vacation(struct sv_vm *vm, const struct sv_operands *ops)
{
	const struct sv_ext_def *me = &sv_ext_vacation_def;
	const struct sv_optarg *o;
	struct sv_str reason, subject = {NULL, 0}, from = {NULL, 0}, handle = {NULL, 0};
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &reason);
	if (st != SV_OK)
		return st;
	if ((o = sv_ops_opt(ops, me, OPT_SUBJECT)) && (st = sv_vm_string(vm, o->idx, &subject)) != SV_OK)
		return st;
	if ((o = sv_ops_opt(ops, me, OPT_FROM)) && (st = sv_vm_string(vm, o->idx, &from)) != SV_OK)
		return st;
	if ((o = sv_ops_opt(ops, me, OPT_HANDLE)) && (st = sv_vm_string(vm, o->idx, &handle)) != SV_OK)
		return st;
	bool mime = sv_ops_opt(ops, me, OPT_MIME) != NULL;
	struct sv_arena *ar = vm->result->arena;
	struct sv_run *run = vm->run;
	struct vac *v = sv_arena_alloc(ar, sizeof *v);
	v->now = run ? run->now : time(NULL);
	v->script = vm->bin;
	v->state = run && sv_run_state_available(run->state) ? run->state : NULL;

	/* §4.1, RFC 6131 §2: the period, within the site's bounds */
	uint64_t minp = sv_ext_setting(vm->settings, me, SET_MIN_PERIOD);
	uint64_t maxp = sv_ext_setting(vm->settings, me, SET_MAX_PERIOD);
	uint64_t period;
	bool seconds_ext = requires(vm, &sv_ext_vacation_seconds_def);
	const struct sv_optarg *secs = sv_ops_opt(ops, &sv_ext_vacation_seconds_def, OPT_SECONDS);
	if (secs)
		period = secs->num;
	else if ((o = sv_ops_opt(ops, me, OPT_DAYS)))
		period = o->num > maxp / 86400 ? maxp : o->num * 86400;
	else
		period = sv_ext_setting(vm->settings, me, SET_DEFAULT_PERIOD);
	/* RFC 5230 §4.1: without vacation-seconds a day is the least;
	   RFC 6131 §2: with it, :days 0 and :seconds 0 mean "always reply"
	   where the site's minimum allows */
	uint64_t floor = seconds_ext ? minp : (minp > 86400 ? minp : 86400);
	if (period < floor)
		period = floor;
	if (period > maxp)
		period = maxp;
	v->expires = v->now + (time_t)period;

	/* the sender the reply goes to: the envelope's (§4.5, §5) */
	const char *sender = vm->env && vm->env->from ? vm->env->from : "";
	struct sv_buf sb = SV_BUF_INIT;
	bool sender_ok = *sender && sv_redirect_address(sender, strlen(sender), &sb) &&
	                 sb.len <= SV_COMPOSE_MAX_ADDR;
	if (sender_ok)
		v->sender = sv_arena_strndup(ar, sb.p, sb.len);
	else
		v->sender = sv_arena_strndup(ar, sender, strlen(sender) > 256 ? 256 : strlen(sender));
	sv_buf_free(&sb);

	/* the user's addresses (§4.5) */
	size_t cap = 8 + (run ? run->user.naddresses : 0);
	o = sv_ops_opt(ops, me, OPT_ADDRESSES);
	size_t nlist = o ? sv_vm_list_len(vm, o->idx) : 0;
	cap += nlist;
	struct mine mine = {sv_arena_array(ar, cap, sizeof *mine.v), 0};
	if (run)
		for (size_t i = 0; i < run->user.naddresses; i++)
			if (run->user.addresses[i])
				mine_add(ar, &mine, cap, run->user.addresses[i],
				         strlen(run->user.addresses[i]));
	for (size_t i = 0; i < nlist; i++) {
		struct sv_str s;
		if ((st = sv_vm_list_item(vm, o->idx, i, &s)) != SV_OK)
			return st;
		mine_add(ar, &mine, cap, s.p, s.len);
	}
	if (vm->env) {
		const char *e[] = {vm->env->to, vm->env->orig_to, vm->env->final_to};
		const char *delims = sv_settings_text(vm->settings, SV_SET_recipient_delimiter);
		for (size_t i = 0; i < 3; i++) {
			if (!e[i])
				continue;
			mine_add(ar, &mine, cap, e[i], strlen(e[i]));
			/* RFC 5233: bob+lists@ is delivered for bob@, and the
			   header names bob@ */
			const char *at = strrchr(e[i], '@');
			size_t k = 0;
			while (at && e[i] + k < at && !strchr(delims, e[i][k]))
				k++;
			if (at && e[i] + k < at && *delims) {
				char *base = sv_arena_alloc(ar, k + strlen(at) + 1);
				memcpy(base, e[i], k);
				strcpy(base + k, at);
				mine_add(ar, &mine, cap, base, strlen(base));
			}
		}
	}

	/* §4.5, §4.6: when not to reply */
	struct sv_str to_me = {NULL, 0};
	if (!*v->sender)
		v->no_reply = "the message has no envelope sender";
	else if (!sender_ok)
		v->no_reply = "the envelope sender is not a valid address";
	else if (automated_sender(v->sender))
		v->no_reply = "the sender is an automated process or a mailing list";
	else if (is_mine(&mine, v->sender, strlen(v->sender)))
		v->no_reply = "the message comes from the user's own address";
	else if (automated_message(vm))
		v->no_reply = automated_message(vm);
	else if (!addressed_to_me(vm, &mine, &to_me))
		v->no_reply = "none of the user's addresses is in To, Cc, Bcc or Resent-*";

	/* §4.2: the key, sender and handle; without :handle, one made of
	   what the reply says */
	struct sv_buf key = SV_BUF_INIT;
	for (size_t i = 0; v->sender[i]; i++)
		sv_buf_putc(&key, (char)sv_ascii_lower((unsigned char)v->sender[i]));
	sv_buf_putc(&key, '\0');
	if (handle.p) {
		sv_buf_append(&key, handle.p, handle.len > 1024 ? 1024 : handle.len);
	} else {
		uint64_t h1 = 0xcbf29ce484222325ull, h2 = 0x84222325cbf29ce4ull;
		const struct sv_str parts[] = {reason, subject, from,
		                               {mime ? "mime" : "", mime ? 4u : 0u}};
		for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
			h1 = fnv(h1, parts[i].p ? parts[i].p : "", parts[i].len);
			h2 = fnv(h2 ^ 0x5bd1e995u, parts[i].p ? parts[i].p : "", parts[i].len);
		}
		sv_buf_printf(&key, "auto:%016llx%016llx", (unsigned long long)h1,
		              (unsigned long long)h2);
	}
	v->key = sv_arena_memdup(ar, key.p, key.len);
	v->klen = key.len;
	sv_buf_free(&key);
	/* a dry run (sieve-test) is never carried out: it says now what the
	   store would answer */
	if (!v->no_reply && v->state && v->state->dry_run && v->expires > v->now) {
		bool seen = false;
		struct sv_buf err = SV_BUF_INIT;
		st = sv_run_state_check(v->state, "vacation", v->key, v->klen, v->now, &seen, &err);
		if (st != SV_OK) {
			sv_vm_error(vm, "vacation: %s", err.p ? err.p : sv_status_name(st));
			sv_buf_free(&err);
			return st;
		}
		sv_buf_free(&err);
		if (seen)
			v->no_reply = "a reply went to this sender within the period (RFC 5230 §4.2)";
	}

	/* §5: the reply */
	struct sv_buf fromaddr = SV_BUF_INIT, subj = SV_BUF_INIT, out = SV_BUF_INIT;
	const char *display = NULL;
	if (from.p) {
		struct sv_addr_list al;
		sv_addr_parse_list(ar, from.p, from.len, &al);
		if (!sv_redirect_address(from.p, from.len, &fromaddr) || al.n != 1) {
			sv_buf_put_sanitized(&out, from.p, from.len, 128);
			st = sv_vm_error(vm, "vacation: invalid :from address '%s'", out.p ? out.p : "");
			goto done;
		}
		if (al.v[0].display && al.v[0].displen)
			display = sv_arena_strndup(ar, al.v[0].display, al.v[0].displen);
	} else if (to_me.p) {
		sv_buf_append(&fromaddr, to_me.p, to_me.len);
	} else if (vm->env && vm->env->to && *vm->env->to) {
		sv_buf_puts(&fromaddr, vm->env->to);
	} else if (run && run->user.naddresses && run->user.addresses[0]) {
		sv_buf_puts(&fromaddr, run->user.addresses[0]);
	}
	if (subject.p) {
		sv_buf_append(&subj, subject.p, subject.len);
	} else {
		struct sv_hdr *h = sv_msg_header(vm->msg, "subject", 7);
		size_t len = 0;
		if (h) {
			const char *s = sv_msg_header_decoded(vm->msg, h, &len);
			sv_compose_reply_subject(&subj, "Auto: ", s, len);
		} else {
			/* §5.2: a fixed subject when the original has no Subject
			   field, not "Auto: " and nothing */
			sv_buf_puts(&subj, "Automated reply");
		}
	}
	/* the original's subject is the sender's to choose: one that could
	   not be written into the reply is cut (at a character) rather than
	   let it stop the script */
	if (subj.len > VAC_MAX_SUBJECT) {
		size_t n = VAC_MAX_SUBJECT;
		while (n > 0 && ((unsigned char)subj.p[n] & 0xc0) == 0x80)
			n--;
		subj.len = n;
	}
	v->subject = sv_arena_strndup(ar, subj.p ? subj.p : "", subj.len);
	if (!v->no_reply) {
		struct sv_compose c;
		struct sv_compose_ids ids;
		sv_compose_ids_system(&ids);
		ids.now = v->now;
		sv_compose_init(&c, &ids, VAC_MAX_REPLY);
		sv_compose_date(&c, v->now, ids.tz_minutes);
		if (fromaddr.len)
			sv_compose_address_header(&c, "From", display, fromaddr.p);
		sv_compose_address_header(&c, "To", NULL, v->sender);
		sv_compose_reply_headers(&c, vm->msg, "Auto: ", v->subject);
		message_id(&c, fromaddr.p ? fromaddr.p : "");
		if (mime)
			sv_compose_mime_body(&c, reason.p, reason.len);
		else
			sv_compose_body_text(&c, reason.p, reason.len);
		st = sv_compose_finish(&c, &out);
		sv_compose_free(&c);
		if (st != SV_OK) {
			st = sv_vm_error(vm, "vacation: cannot compose the reply%s: %s",
			                 mime ? " (is the :mime reason a MIME entity?)" : "",
			                 sv_status_name(st));
			goto done;
		}
		v->reply = sv_arena_memdup(ar, out.p, out.len);
		v->rlen = out.len;
	}
	struct sv_action a = {.def = &sv_action_vacation, .data = v};
	st = sv_vm_add_action(vm, ops, &a);
done:
	sv_buf_free(&fromaddr);
	sv_buf_free(&subj);
	sv_buf_free(&out);
	return st;
}

/* ---- validation ---- */

/* RFC 5230 §4.3, §4.5: literal addresses are checked now. */
static bool check_address(struct sv_validator *v, const struct sv_ast_str *s, const char *tag)
{
	if (v->templates && memchr(s->s, '$', s->len))
		return true;
	struct sv_buf b = SV_BUF_INIT;
	bool ok = sv_redirect_address(s->s, s->len, &b);
	sv_buf_free(&b);
	if (!ok)
		sv_validator_error(v, s->loc, "vacation: invalid address '%s' for :%s",
		                   sv_validator_quote(v, s->s, s->len), tag);
	return ok;
}

static bool validate_from(struct sv_validator *v, struct sv_ast_node *cmd, struct sv_ast_arg *tag,
                          struct sv_ast_arg *value)
{
	return check_address(v, &value->strs[0], "from");
}

static bool validate_addresses(struct sv_validator *v, struct sv_ast_node *cmd,
                               struct sv_ast_arg *tag, struct sv_ast_arg *value)
{
	bool ok = true;
	for (size_t i = 0; i < value->nstrs; i++)
		ok = check_address(v, &value->strs[i], "addresses") && ok;
	return ok;
}

/* RFC 6131 §2: :days and :seconds exclude each other (the tags come from
 * two extensions, so the tag groups cannot say it; vacation-seconds.c
 * checks the other order). */
static bool validate_period(struct sv_validator *v, struct sv_ast_node *cmd,
                            struct sv_ast_arg *tag, struct sv_ast_arg *value)
{
	const char *other = strcmp(tag->tag, "days") == 0 ? "seconds" : "days";
	if (sv_vnode_tag(cmd, other)) {
		sv_validator_error(v, tag->loc,
		                   "tagged arguments ':%s' and ':%s' of the vacation command exclude "
		                   "each other",
		                   other, tag->tag);
		return false;
	}
	return true;
}

static const struct sv_tag_def vacation_tags[] = {
	{.name = "days", .value = 'n', .opt = OPT_DAYS, .validate = validate_period},
	{.name = "subject", .value = 's', .opt = OPT_SUBJECT},
	{.name = "from", .value = 's', .opt = OPT_FROM, .validate = validate_from},
	{.name = "addresses", .value = 'l', .opt = OPT_ADDRESSES, .validate = validate_addresses},
	{.name = "mime", .opt = OPT_MIME},
	{.name = "handle", .value = 's', .opt = OPT_HANDLE},
	{NULL},
};

static const struct sv_cmd_def vacation_commands[] = {
	{"vacation", SV_CMD_COMMAND, "s", .tags = vacation_tags, .op = 0},
	{NULL},
};

static const struct sv_op_def vacation_ops[] = {
	{"vacation", "sx", op_vacation, NULL, false},
	{NULL},
};

static const char *const vacation_opt_names[] = {"days", "subject", "from", "addresses", "mime",
                                                 "handle"};

struct sv_ext_def sv_ext_vacation_def = {
	.name = "vacation",
	.commands = vacation_commands,
	.ops = vacation_ops,
	.opt_kinds = "nsslfs",
	.opt_names = vacation_opt_names,
	.settings = vacation_settings,
};
