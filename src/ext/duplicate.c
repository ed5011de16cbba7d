/*
 * duplicate.c: the duplicate extension (RFC 7352): the duplicate test
 * (§3) and its action kind "duplicate_mark", which records the id in the
 * user's state store when the delivery commits.
 *
 * The test takes an id (the Message-ID by default, another header's
 * value with :header, a string of the script's with :uniqueid) and asks
 * the state store (delivery/state.h) whether that id, under the test's
 * :handle, was recorded by an earlier delivery. It claims the id at once
 * (sv_dlv_state_claim), so that two copies delivered at the same time
 * never both find it new; the claim becomes a mark in the transaction's
 * state phase, after the stores (DESIGN.md §4): a delivery that fails, a
 * dry run or a script whose actions are discarded records nothing (§3:
 * only a successful execution updates the tracking list).
 *
 * The key in the store is the handle, a NUL, then the id, compared as
 * octets (§3). The period comes from :seconds or the setting
 * duplicate-default-period, at most duplicate-max-period.
 */
#include <string.h>

#include "delivery/execute.h"
#include "delivery/run.h"
#include "ext/registry.h"
#include "lib/arena.h"
#include "mail/message.h"
#include "parser/validate.h"
#include "vm/address.h"
#include "vm/result.h"
#include "vm/vm.h"

enum { OPT_HANDLE, OPT_HEADER, OPT_UNIQUEID, OPT_SECONDS, OPT_LAST };
enum { SET_DEFAULT_PERIOD, SET_MAX_PERIOD };

/* Largest id kept: a longer one (a header of 60 KB) is cut, which only
 * makes two ids that share their first 4 KB one. */
#define DUP_MAX_ID 4096

static const struct sv_setting_info duplicate_settings[] = {
	[SET_DEFAULT_PERIOD] = {"duplicate-default-period", "sieve_duplicate_default_period",
	                        SV_SETTING_SECONDS, 14 * 86400, 0, 3650 * 86400ull, NULL,
	                        "how long the duplicate test (RFC 7352) remembers an id when "
	                        ":seconds is not given"},
	[SET_MAX_PERIOD] = {"duplicate-max-period", "sieve_duplicate_max_period",
	                    SV_SETTING_SECONDS, 14 * 86400, 0, 3650 * 86400ull, NULL,
	                    "the longest period the duplicate test's :seconds may ask for"},
	{NULL},
};

/* What the action records: one id under one handle. */
struct dup_mark {
	struct sv_run_state *state; /* the program's; NULL: none */
	char *key;
	size_t klen;
	time_t expires;
};

static enum sv_status mark_prepare(struct sv_txn *t, struct sv_action *a, struct sv_buf *err)
{
	/* the claim was taken when the test ran: nothing left that can fail */
	return SV_OK;
}

/* The claim becomes a mark. Marked again first: a vacation reply that
 * failed rolls back every claim of the handle, this one too, and the
 * message was still delivered. */
static enum sv_status mark_commit(struct sv_txn *t, struct sv_action *a, struct sv_buf *err)
{
	struct dup_mark *d = a->data;
	if (!d->state || !sv_run_state_available(d->state))
		return SV_OK;
	enum sv_status st = sv_run_state_mark(d->state, "duplicate", d->key, d->klen, d->expires, err);
	if (st == SV_OK)
		st = sv_run_state_commit(d->state, err);
	if (st != SV_OK && err->len == 0)
		sv_buf_puts(err, "duplicate: cannot record the message's id");
	return st;
}

static void mark_rollback(struct sv_txn *t, struct sv_action *a)
{
	struct dup_mark *d = a->data;
	if (d->state)
		sv_run_state_rollback(d->state);
}

/* The same id under the same handle twice is one mark, ending at the
 * later of the two ends. */
static bool mark_duplicate(struct sv_action *a, const struct sv_action *b)
{
	if (a->def != b->def)
		return false;
	struct dup_mark *x = a->data;
	const struct dup_mark *y = b->data;
	if (x->klen != y->klen || memcmp(x->key, y->key, x->klen) != 0)
		return false;
	if (y->expires > x->expires)
		x->expires = y->expires;
	return true;
}

static void mark_describe(const struct sv_action *a, struct sv_buf *out)
{
	const struct dup_mark *d = a->data;
	size_t h = strlen(d->key);
	sv_buf_puts(out, "track duplicate id: ");
	sv_buf_put_sanitized(out, d->key + h + 1, d->klen - h - 1, 200);
	if (h) {
		sv_buf_puts(out, " (handle ");
		sv_buf_put_sanitized(out, d->key, h, 100);
		sv_buf_puts(out, ")");
	}
}

static const struct sv_action_def sv_action_duplicate_mark = {
	.name = "duplicate_mark", .phase = SV_PHASE_STATE,
	.prepare = mark_prepare, .commit = mark_commit, .rollback = mark_rollback,
	.duplicate = mark_duplicate, .describe = mark_describe,
};

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* §3: the id of the message, from a header (the first one of that name),
 * without the whitespace around it. false: the message has none (the
 * header is missing or empty), and the test is false. */
static bool header_id(struct sv_vm *vm, const char *name, size_t nlen, struct sv_str *id)
{
	if (!sv_header_name_valid(name, nlen))
		return false;
	struct sv_hdr *h = sv_msg_header(vm->msg, name, nlen);
	if (!h)
		return false;
	size_t len;
	const char *v = sv_msg_header_decoded(vm->msg, h, &len);
	while (len && is_wsp(v[0])) {
		v++;
		len--;
	}
	while (len && is_wsp(v[len - 1]))
		len--;
	id->p = v;
	id->len = len;
	return len > 0;
}

static enum sv_status op_duplicate(struct sv_vm *vm, const struct sv_operands *ops)
{
	const struct sv_ext_def *me = &sv_ext_duplicate_def;
	const struct sv_optarg *o;
	struct sv_str handle = {"", 0}, id = {NULL, 0};
	enum sv_status st;
	vm->test = false;
	if ((o = sv_ops_opt(ops, me, OPT_HANDLE)) && (st = sv_vm_string(vm, o->idx, &handle)) != SV_OK)
		return st;
	if ((o = sv_ops_opt(ops, me, OPT_UNIQUEID))) {
		if ((st = sv_vm_string(vm, o->idx, &id)) != SV_OK)
			return st;
	} else {
		struct sv_str name = {"message-id", 10};
		if ((o = sv_ops_opt(ops, me, OPT_HEADER)) &&
		    (st = sv_vm_string(vm, o->idx, &name)) != SV_OK)
			return st;
		if (!header_id(vm, name.p, name.len, &id))
			return SV_OK; /* §3: no id, no duplicate; nothing tracked */
	}
	/* the handle ends at its first NUL, which separates it from the id */
	const char *nul = memchr(handle.p, '\0', handle.len);
	size_t hlen = nul ? (size_t)(nul - handle.p) : handle.len;
	size_t ilen = id.len < DUP_MAX_ID ? id.len : DUP_MAX_ID;
	if (hlen > DUP_MAX_ID)
		hlen = DUP_MAX_ID;

	uint64_t max = sv_ext_setting(vm->settings, me, SET_MAX_PERIOD);
	uint64_t period = (o = sv_ops_opt(ops, me, OPT_SECONDS))
	                      ? o->num
	                      : sv_ext_setting(vm->settings, me, SET_DEFAULT_PERIOD);
	if (period > max)
		period = max;
	bool last = sv_ops_opt(ops, me, OPT_LAST) != NULL;

	struct sv_run *run = vm->run;
	struct sv_run_state *state = run && sv_run_state_available(run->state) ? run->state : NULL;
	time_t now = run ? run->now : time(NULL);
	struct dup_mark *d = sv_arena_alloc(vm->result->arena, sizeof *d);
	d->state = state;
	d->klen = hlen + 1 + ilen;
	d->key = sv_arena_alloc(vm->result->arena, d->klen + 1);
	memcpy(d->key, handle.p, hlen);
	d->key[hlen] = '\0';
	memcpy(d->key + hlen + 1, id.p, ilen);
	d->key[d->klen] = '\0';
	d->expires = now + (time_t)period;

	bool won = true;
	if (state) {
		struct sv_buf err = SV_BUF_INIT;
		st = sv_run_state_claim(state, "duplicate", d->key, d->klen, now, d->expires, &won, &err);
		if (st != SV_OK) {
			sv_vm_error(vm, "duplicate: %s", err.p ? err.p : sv_status_name(st));
			sv_buf_free(&err);
			return st;
		}
		sv_buf_free(&err);
	}
	vm->test = !won;
	/* §3: a new id is recorded; §3.3: a duplicate's mark is left alone
	   unless :last asks for its period to start again now */
	if (won || last) {
		struct sv_action a = {.def = &sv_action_duplicate_mark, .data = d};
		return sv_vm_add_action(vm, ops, &a);
	}
	return SV_OK;
}

static bool validate_header_tag(struct sv_validator *v, struct sv_ast_node *cmd,
                                struct sv_ast_arg *tag, struct sv_ast_arg *value)
{
	const struct sv_ast_str *s = &value->strs[0];
	if (v->templates && memchr(s->s, '$', s->len))
		return true;
	if (!sv_header_name_valid(s->s, s->len)) {
		sv_validator_error(v, s->loc, "duplicate: invalid header name '%s' for :header",
		                   sv_validator_quote(v, s->s, s->len));
		return false;
	}
	return true;
}

static const struct sv_tag_def duplicate_tags[] = {
	{.name = "handle", .value = 's', .opt = OPT_HANDLE}, /* §3.2 */
	/* §3.1: the id comes from one place */
	{.name = "header", .value = 's', .opt = OPT_HEADER, .group = 1,
	 .validate = validate_header_tag},
	{.name = "uniqueid", .value = 's', .opt = OPT_UNIQUEID, .group = 1},
	{.name = "seconds", .value = 'n', .opt = OPT_SECONDS}, /* §3.3 */
	{.name = "last", .opt = OPT_LAST},
	{NULL},
};

static const struct sv_cmd_def duplicate_commands[] = {
	{"duplicate", SV_CMD_TEST, "", .tags = duplicate_tags, .op = 0},
	{NULL},
};

static const struct sv_op_def duplicate_ops[] = {
	{"duplicate", "x", op_duplicate, NULL, true},
	{NULL},
};

static const char *const duplicate_opt_names[] = {"handle", "header", "uniqueid", "seconds",
                                                  "last"};

struct sv_ext_def sv_ext_duplicate_def = {
	.name = "duplicate",
	.commands = duplicate_commands,
	.ops = duplicate_ops,
	.opt_kinds = "sssnf",
	.opt_names = duplicate_opt_names,
	.settings = duplicate_settings,
};
