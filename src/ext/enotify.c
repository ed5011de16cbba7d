/*
 * enotify.c: the enotify extension (RFC 5435): the notify action (§3),
 * the tests valid_notify_method (§4) and notify_method_capability (§5),
 * and the :encodeurl modifier of set (§6). The methods are tables
 * (enotify.h); sift has mailto (RFC 5436, enotify-mailto.c).
 *
 * - A literal method URI is checked when the script is compiled: an
 *   unknown scheme or a URI its method refuses is a compile error (§3.1,
 *   §8.4 of the URI's own checks); a URI built from variables is checked
 *   when notify runs and a bad one is a runtime error. The tests never
 *   fail for a bad URI: valid_notify_method is then false (§4) and
 *   notify_method_capability matches nothing (§5).
 * - :importance is "1", "2" or "3" (§3.3), :from must suit the method
 *   (§3.2), each :options string is "name=value" (§3.4); checked at
 *   compile time when literal, at run time otherwise.
 * - Duplicates (§3.8, as far as sift reads it): a notify identical to an
 *   earlier one in method, :from, :importance, :options and :message is
 *   sent once.
 * - notify does not cancel the implicit keep and comes with every other
 *   action (§7). The notification is composed and sent in the SEND phase
 *   of the transaction (after the stores); one that cannot be sent is
 *   reported and changes nothing else (§3.9: a failed notification is no
 *   failed delivery).
 * - :encodeurl (precedence 15) percent-encodes every byte of the UTF-8
 *   value that is not an unreserved character of RFC 3986 §2.3.
 *
 * Settings: notify-max-recipients (the most recipients one notification
 * may have), notify-max-notifications (the most notifications one message
 * may send; 0 refuses notify at compile time), notify-from (the From of
 * notifications without :from; empty: the recipient's address). The
 * first two take Pigeonhole's names as aliases.
 */
#include "ext/enotify.h"

#include <string.h>

#include "delivery/execute.h"
#include "ext/registry.h"
#include "lib/utf8.h"
#include "mail/message.h"
#include "parser/validate.h"
#include "vm/result.h"
#include "vm/vm.h"

enum { OPT_FROM, OPT_IMPORTANCE, OPT_OPTIONS, OPT_MESSAGE, OPT_ENCODEURL };
enum { OP_NOTIFY, OP_VALID, OP_CAPABILITY };
enum { SET_MAX_RECIPIENTS, SET_FROM, SET_MAX_NOTIFICATIONS };

static const struct sv_setting_info enotify_settings[] = {
	[SET_MAX_RECIPIENTS] = {"notify-max-recipients", "sieve_notify_mailto_max_recipients",
				SV_SETTING_NUMBER, 8, 0, 1000, NULL,
				"most recipients one notification (RFC 5435 notify) may have; a "
				"method URI with more is refused (0: as many as sift allows, "
				"1000)",
				.compile_time = true},
	[SET_FROM] = {"notify-from", "", SV_SETTING_TEXT, 0, 0, 0, "",
		      "From address of notifications without :from; empty: the recipient's "
		      "address"},
	[SET_MAX_NOTIFICATIONS] = {"notify-max-notifications", "sieve_notify_max_notifications",
				   SV_SETTING_NUMBER, 10, 0, 1000, NULL,
				   "notifications one message may send (identical ones count "
				   "once); 0: notify is refused when a script is compiled",
				   .compile_time = true},
	{NULL},
};

/* ---- methods ---- */

static const struct sv_notify_method *const methods[] = {&sv_notify_mailto, NULL};

/* RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
const struct sv_notify_method *sv_notify_method_find(const char *uri, size_t len)
{
	size_t n = 0;
	while (n < len && uri[n] != ':') {
		unsigned char c = (unsigned char)uri[n];
		if (!(sv_ascii_isalpha(c) || (n > 0 && (sv_ascii_isdigit(c) || c == '+' ||
							 c == '-' || c == '.'))))
			return NULL;
		n++;
	}
	if (n == 0 || n == len)
		return NULL;
	for (size_t i = 0; methods[i]; i++)
		if (sv_ascii_ieq(uri, n, methods[i]->scheme, strlen(methods[i]->scheme)))
			return methods[i];
	return NULL;
}

void sv_notify_default_message(struct sv_msg *m, struct sv_buf *out)
{
	struct sv_hdr *h = sv_msg_header(m, "From", 4);
	const struct sv_addr_list *al = h ? sv_msg_header_addresses(m, h) : NULL;
	if (al && al->n && al->v[0].alen)
		sv_buf_append(out, al->v[0].addr, al->v[0].alen);
	else
		sv_buf_puts(out, "(unknown sender)");
	sv_buf_puts(out, ": ");
	h = sv_msg_header(m, "Subject", 7);
	size_t len = 0;
	const char *s = h ? sv_msg_header_decoded(m, h, &len) : NULL;
	if (s && len)
		sv_buf_append(out, s, len);
	else
		sv_buf_puts(out, "(no subject)");
}

/* Why a URI cannot be a notify method: false with the reason. */
static bool check_method(const char *uri, size_t len, uint64_t max_recipients, struct sv_buf *err)
{
	const struct sv_notify_method *m = sv_notify_method_find(uri, len);
	if (!m) {
		sv_buf_puts(err, "unsupported notification method '");
		sv_buf_put_sanitized(err, uri, len, 128);
		sv_buf_puts(err, "'");
		return false;
	}
	return m->check_uri(uri, len, max_recipients, err);
}

/* §3.3 */
static bool importance_valid(const char *s, size_t len)
{
	return len == 1 && s[0] >= '1' && s[0] <= '3';
}

/* §3.4: option = optionname "=" value; names are letters, digits and
 * "-", "_", "." (a method defines its own; unknown ones are ignored) */
static bool option_valid(const char *s, size_t len)
{
	const char *eq = memchr(s, '=', len);
	if (!eq || eq == s)
		return false;
	for (const char *p = s; p < eq; p++) {
		unsigned char c = (unsigned char)*p;
		if (!(sv_ascii_isalpha(c) || sv_ascii_isdigit(c) || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* ---- validation ---- */

static bool literal(const struct sv_validator *v, const struct sv_ast_str *s)
{
	return !(v->templates && memchr(s->s, '$', s->len));
}

static bool validate_notify(struct sv_validator *v, struct sv_ast_node *n)
{
	bool ok = true;
	if (sv_ext_setting(v->settings, &sv_ext_enotify_def, SET_MAX_NOTIFICATIONS) == 0) {
		sv_validator_error(v, n->loc,
				   "notify is disabled here (notify-max-notifications is 0)");
		return false;
	}
	const struct sv_ast_str *method = &sv_vnode(n)->pos[0]->strs[0];
	const struct sv_notify_method *m = NULL;
	if (literal(v, method)) {
		struct sv_buf err = SV_BUF_INIT;
		uint64_t max = sv_ext_setting(v->settings, &sv_ext_enotify_def, SET_MAX_RECIPIENTS);
		if (!check_method(method->s, method->len, max, &err)) {
			sv_validator_error(v, method->loc, "notify: %s", err.p);
			ok = false;
		}
		/* a bad URI of a known method: its :from is still checked */
		m = sv_notify_method_find(method->s, method->len);
		sv_buf_free(&err);
	}
	struct sv_vtag *t = sv_vnode_tag(n, "importance");
	if (t) {
		const struct sv_ast_str *s = &t->value->strs[0];
		if (literal(v, s) && !importance_valid(s->s, s->len)) {
			sv_validator_error(v, s->loc,
					   "notify: :importance must be \"1\", \"2\" or \"3\", not '%s'",
					   sv_validator_quote(v, s->s, s->len));
			ok = false;
		}
	}
	t = sv_vnode_tag(n, "from");
	if (t && m && m->check_from) {
		const struct sv_ast_str *s = &t->value->strs[0];
		struct sv_buf err = SV_BUF_INIT;
		if (literal(v, s) && !m->check_from(s->s, s->len, &err)) {
			sv_validator_error(v, s->loc, "notify: invalid :from '%s': %s",
					   sv_validator_quote(v, s->s, s->len), err.p ? err.p : "");
			ok = false;
		}
		sv_buf_free(&err);
	}
	t = sv_vnode_tag(n, "options");
	if (t) {
		for (size_t i = 0; i < t->value->nstrs; i++) {
			const struct sv_ast_str *s = &t->value->strs[i];
			if (literal(v, s) && !option_valid(s->s, s->len)) {
				sv_validator_error(v, s->loc,
						   "notify: an option is \"name=value\", not '%s'",
						   sv_validator_quote(v, s->s, s->len));
				ok = false;
			}
		}
	}
	return ok;
}

/* ---- the action kind ---- */

static bool same(const char *a, size_t al, const char *b, size_t bl)
{
	if (!a || !b)
		return a == b;
	return al == bl && memcmp(a, b, al) == 0;
}

static bool notify_duplicate(struct sv_action *a, const struct sv_action *b)
{
	if (a->def != b->def)
		return false;
	const struct sv_notify *x = a->data, *y = b->data;
	if (!same(x->uri, x->ulen, y->uri, y->ulen) || !same(x->from, x->flen, y->from, y->flen) ||
	    x->importance != y->importance || !same(x->message, x->mlen, y->message, y->mlen) ||
	    x->noptions != y->noptions)
		return false;
	for (size_t i = 0; i < x->noptions; i++)
		if (!same(x->options[i], x->olens[i], y->options[i], y->olens[i]))
			return false;
	return true;
}

static void describe_notify(const struct sv_action *a, struct sv_buf *out)
{
	const struct sv_notify *n = a->data;
	sv_buf_puts(out, "send notification with method '");
	sv_buf_put_sanitized(out, n->uri, n->ulen, 256);
	sv_buf_puts(out, "'");
	if (n->message) {
		sv_buf_puts(out, ": ");
		sv_buf_put_sanitized(out, n->message, n->mlen, 256);
	}
}

static enum sv_status notify_prepare(struct sv_txn *t, struct sv_action *a, struct sv_buf *err)
{
	struct sv_notify *n = a->data;
	void *tx = NULL;
	enum sv_status st = n->method->prepare(t, n, &tx, err);
	if (st == SV_OK)
		a->txn = tx;
	else
		sv_buf_free(&n->out);
	return st;
}

static enum sv_status notify_commit(struct sv_txn *t, struct sv_action *a, struct sv_buf *err)
{
	return sv_dlv_send_commit(t, a, "send notification", NULL, 0, err);
}

static void notify_rollback(struct sv_txn *t, struct sv_action *a)
{
	sv_dlv_send_rollback(t, a);
}

static void notify_release(struct sv_txn *t, struct sv_action *a)
{
	(void)t;
	struct sv_notify *n = a->data;
	sv_buf_free(&n->out);
}

/* §3: does not cancel the implicit keep; sent after the stores */
const struct sv_action_def sv_action_notify = {
	.name = "notify", .phase = SV_PHASE_SEND,
	.duplicate = notify_duplicate, .describe = describe_notify,
	.prepare = notify_prepare, .commit = notify_commit,
	.rollback = notify_rollback, .release = notify_release,
};

/* ---- operations ---- */

static enum sv_status opt_string(struct sv_vm *vm, const struct sv_operands *ops, uint8_t id,
				 struct sv_str *out, bool *has)
{
	const struct sv_optarg *o = sv_ops_opt(ops, &sv_ext_enotify_def, id);
	*has = o != NULL;
	return o ? sv_vm_string(vm, o->idx, out) : SV_OK;
}

static enum sv_status op_notify(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_arena *ar = vm->result->arena;
	struct sv_str uri, from, imp, msg;
	bool has_from, has_imp, has_msg;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &uri);
	if (st != SV_OK)
		return st;
	struct sv_notify *n = sv_arena_alloc(ar, sizeof *n);
	n->max_recipients = sv_ext_setting(vm->settings, &sv_ext_enotify_def, SET_MAX_RECIPIENTS);
	struct sv_buf err = SV_BUF_INIT;
	/* §3.1: a method found bad only now is a runtime error */
	if (!check_method(uri.p, uri.len, n->max_recipients, &err)) {
		sv_vm_error(vm, "notify: %s", err.p);
		sv_buf_free(&err);
		return SV_FAIL;
	}
	n->method = sv_notify_method_find(uri.p, uri.len);
	n->uri = sv_arena_strndup(ar, uri.p, uri.len);
	n->ulen = uri.len;
	if ((st = opt_string(vm, ops, OPT_FROM, &from, &has_from)) != SV_OK)
		return st;
	if (has_from) {
		if (n->method->check_from && !n->method->check_from(from.p, from.len, &err)) {
			struct sv_buf q = SV_BUF_INIT;
			sv_buf_put_sanitized(&q, from.p, from.len, 128);
			sv_vm_error(vm, "notify: invalid :from '%s': %s", q.p ? q.p : "",
				    err.p ? err.p : "");
			sv_buf_free(&q);
			sv_buf_free(&err);
			return SV_FAIL;
		}
		n->from = sv_arena_strndup(ar, from.p, from.len);
		n->flen = from.len;
	}
	if ((st = opt_string(vm, ops, OPT_IMPORTANCE, &imp, &has_imp)) != SV_OK)
		return st;
	n->importance = 2;
	if (has_imp) {
		if (!importance_valid(imp.p, imp.len))
			return sv_vm_error(vm, "notify: :importance must be \"1\", \"2\" or \"3\"");
		n->importance = (unsigned)(imp.p[0] - '0');
	}
	const struct sv_optarg *o = sv_ops_opt(ops, &sv_ext_enotify_def, OPT_OPTIONS);
	if (o) {
		size_t cnt = sv_vm_list_len(vm, o->idx);
		n->options = sv_arena_array(ar, cnt ? cnt : 1, sizeof *n->options);
		size_t *lens = sv_arena_array(ar, cnt ? cnt : 1, sizeof *lens);
		for (size_t i = 0; i < cnt; i++) {
			struct sv_str s;
			if ((st = sv_vm_list_item(vm, o->idx, i, &s)) != SV_OK)
				return st;
			if (!option_valid(s.p, s.len))
				return sv_vm_error(vm, "notify: an option is \"name=value\"");
			n->options[i] = sv_arena_strndup(ar, s.p, s.len);
			lens[i] = s.len;
		}
		n->olens = lens;
		n->noptions = cnt;
	}
	if ((st = opt_string(vm, ops, OPT_MESSAGE, &msg, &has_msg)) != SV_OK)
		return st;
	if (has_msg) {
		n->message = sv_arena_strndup(ar, msg.p, msg.len);
		n->mlen = msg.len;
	}
	const char *df =
	    vm->settings ? sv_settings_text(vm->settings,
					    sv_ext_setting_id(&sv_ext_enotify_def, SET_FROM))
			 : "";
	n->default_from = sv_arena_strndup(ar, df ? df : "", df ? strlen(df) : 0);
	sv_buf_free(&err);
	struct sv_action a = {.def = &sv_action_notify, .data = n};
	/* a bound on what one message may send; a duplicate costs nothing */
	uint64_t max = sv_ext_setting(vm->settings, &sv_ext_enotify_def, SET_MAX_NOTIFICATIONS);
	size_t count = 0;
	for (size_t i = 0; i < vm->result->n; i++) {
		struct sv_action *e = &vm->result->v[i];
		if (e->def != &sv_action_notify)
			continue;
		if (!e->executed && notify_duplicate(e, &a))
			return sv_vm_add_action(vm, ops, &a);
		count++;
	}
	if (count >= max)
		return sv_vm_error(vm, "number of notify actions exceeds policy limit (%llu)",
				   (unsigned long long)max);
	return sv_vm_add_action(vm, ops, &a);
}

/* §4: true when every URI names a method sift has, in a form it takes */
static enum sv_status op_valid(struct sv_vm *vm, const struct sv_operands *ops)
{
	size_t cnt = sv_vm_list_len(vm, ops->pos[0].idx);
	uint64_t max = sv_ext_setting(vm->settings, &sv_ext_enotify_def, SET_MAX_RECIPIENTS);
	vm->test = cnt > 0;
	struct sv_buf err = SV_BUF_INIT;
	for (size_t i = 0; i < cnt && vm->test; i++) {
		struct sv_str s;
		enum sv_status st = sv_vm_list_item(vm, ops->pos[0].idx, i, &s);
		if (st != SV_OK) {
			sv_buf_free(&err);
			return st;
		}
		sv_buf_reset(&err);
		vm->test = check_method(s.p, s.len, max, &err);
	}
	sv_buf_free(&err);
	return SV_OK;
}

/* §5: the capability's value matched against the keys; nothing matches
 * for a URI that is no valid method or a capability it does not know */
static enum sv_status op_capability(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str uri, cap;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &uri);
	if (st == SV_OK)
		st = sv_vm_string(vm, ops->pos[1].idx, &cap);
	if (st != SV_OK)
		return st;
	struct sv_matcher m;
	st = sv_match_begin(&m, vm, ops, ops->pos[2].idx);
	struct sv_buf err = SV_BUF_INIT;
	uint64_t max = sv_ext_setting(vm->settings, &sv_ext_enotify_def, SET_MAX_RECIPIENTS);
	if (st == SV_OK && check_method(uri.p, uri.len, max, &err)) {
		const struct sv_notify_method *meth = sv_notify_method_find(uri.p, uri.len);
		const char *val = meth->capability ? meth->capability(cap.p, cap.len) : NULL;
		if (val)
			sv_match_value(&m, val, strlen(val));
	}
	sv_buf_free(&err);
	if (st != SV_OK)
		return st;
	return sv_match_end(&m, &vm->test);
}

/* ---- :encodeurl (§6) ---- */

static void mod_encodeurl(struct sv_buf *b)
{
	static const char hex[] = "0123456789ABCDEF";
	struct sv_buf q = SV_BUF_INIT;
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->p[i];
		/* RFC 3986 §2.3 unreserved */
		if (sv_ascii_isalpha(c) || sv_ascii_isdigit(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			sv_buf_putc(&q, (char)c);
		} else {
			sv_buf_putc(&q, '%');
			sv_buf_putc(&q, hex[c >> 4]);
			sv_buf_putc(&q, hex[c & 15]);
		}
	}
	sv_buf_free(b);
	*b = q;
}

/* ---- the descriptor ---- */

static const struct sv_tag_def notify_tags[] = {
	{.name = "from", .value = 's', .opt = OPT_FROM},
	{.name = "importance", .value = 's', .opt = OPT_IMPORTANCE},
	{.name = "options", .value = 'l', .opt = OPT_OPTIONS},
	{.name = "message", .value = 's', .opt = OPT_MESSAGE},
	{NULL},
};

static const char *const set_target[] = {"set", NULL};
static const struct sv_tag_def enotify_tags[] = {
	{.name = "encodeurl", .opt = OPT_ENCODEURL, .attach = set_target},
	{NULL},
};

static const struct sv_modifier_def m_encodeurl = {"encodeurl", 15, OPT_ENCODEURL,
						   mod_encodeurl};
static const struct sv_modifier_def *const enotify_modifiers[] = {&m_encodeurl, NULL};

static const struct sv_cmd_def enotify_commands[] = {
	{"notify", SV_CMD_COMMAND, "s", .tags = notify_tags, .op = OP_NOTIFY,
	 .validate = validate_notify},
	{"valid_notify_method", SV_CMD_TEST, "l", .op = OP_VALID},
	{"notify_method_capability", SV_CMD_TEST, "ssl", .flags = SV_CMDF_MATCHING,
	 .op = OP_CAPABILITY},
	{NULL},
};

static const struct sv_op_def enotify_ops[] = {
	[OP_NOTIFY] = {"notify", "sx", op_notify, NULL, false},
	[OP_VALID] = {"valid_notify_method", "l", op_valid, NULL, true},
	[OP_CAPABILITY] = {"notify_method_capability", "sslx", op_capability, NULL, true},
	{NULL},
};

static const char *const enotify_opt_names[] = {"from", "importance", "options", "message",
						"encodeurl"};

struct sv_ext_def sv_ext_enotify_def = {
	.name = "enotify",
	.commands = enotify_commands,
	.tags = enotify_tags,
	.ops = enotify_ops,
	.opt_kinds = "sslsf",
	.opt_names = enotify_opt_names,
	.modifiers = enotify_modifiers,
	.settings = enotify_settings,
};
