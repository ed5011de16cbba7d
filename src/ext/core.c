/*
 * core.c: the core language of RFC 5228 as an extension descriptor.
 *
 * Control (§3): require, if/elsif/else, stop. Actions (§4): keep,
 * discard, redirect (fileinto is its own extension). Tests (§5): address,
 * allof, anyof, exists, false, header, not, size, true. Also the
 * comparators i;octet and i;ascii-casemap, the match types :is, :contains
 * and :matches, and the address parts :all, :localpart and :domain, which
 * every script has (§2.7). header, address and exists read the fields
 * through the one header source (vm/headers.c), which applies an edited
 * header, the current MIME part and RFC 5260's :index.
 */
#include <string.h>

#include "delivery/execute.h"
#include "ext/registry.h"
#include "lib/utf8.h"
#include "mail/message.h"
#include "parser/validate.h"
#include "vm/address.h"
#include "vm/headers.h"
#include "vm/result.h"
#include "vm/vm.h"

enum {
#define SV_OP(e, m, s, t, h) SV_OP_##e,
#include "vm/opcodes.def"
#undef SV_OP
};

/* core optional ids: the matching families, then size's tags */
enum { OPT_OVER = 3, OPT_UNDER = 4 };

/* ---- address parts (§2.7.4) ---- */

static bool part_all(struct sv_vm *vm, const struct sv_addr *a, const char **p, size_t *n)
{
	*p = a->addr;
	*n = a->alen;
	return true;
}

static bool part_localpart(struct sv_vm *vm, const struct sv_addr *a, const char **p, size_t *n)
{
	if (!a->valid)
		return false;
	*p = a->local;
	*n = a->llen;
	return true;
}

static bool part_domain(struct sv_vm *vm, const struct sv_addr *a, const char **p, size_t *n)
{
	if (!a->valid || !a->domain)
		return false;
	*p = a->domain;
	*n = a->dlen;
	return true;
}

static const struct sv_addrpart_def ap_all = {"all", part_all};
static const struct sv_addrpart_def ap_localpart = {"localpart", part_localpart};
static const struct sv_addrpart_def ap_domain = {"domain", part_domain};

bool sv_match_address(struct sv_matcher *m, const struct sv_operands *ops,
		      const struct sv_addr *a)
{
	/* the decoder found the address part */
	const struct sv_addrpart_def *part = ops->addrpart ? ops->addrpart : &ap_all;
	const char *p;
	size_t n;
	if (!a->valid && part != &ap_all)
		return false;
	if (!part->extract(m->vm, a, &p, &n))
		return false;
	return sv_match_value(m, p, n);
}

/* ---- helpers ---- */

bool sv_header_name_valid(const char *name, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 33 || c > 126 || c == ':')
			return false;
	}
	return true;
}

bool sv_is_address_header(const char *name, size_t len)
{
	static const char *const names[] = {
		"from", "sender", "to", "cc", "bcc", "reply-to", "resent-from",
		"resent-sender", "resent-to", "resent-cc", "resent-bcc", "resent-reply-to",
		"return-path", "delivered-to", "envelope-to", "x-original-to",
		"x-envelope-to", "x-envelope-from", "errors-to", "mail-followup-to",
		"mail-reply-to", "disposition-notification-to", "return-receipt-to",
		"original-recipient", "apparently-to", "x-beenthere", "list-post-from",
		"x-sender", "x-delivered-to", "for-approval", "for-handling", "approved-by",
		"original-from", "original-sender", "original-reply-to", NULL};
	for (size_t i = 0; names[i]; i++)
		if (sv_ascii_ieq(name, len, names[i], strlen(names[i])))
			return true;
	return false;
}

/* RFC 5322 §3.4: one address, not a group nor a list: no ',', ';' or ':'
 * outside quoted strings, comments, domain literals and angle brackets
 * (where an obsolete route keeps its own), and the angle brackets
 * balanced. */
static bool one_mailbox(const char *s, size_t len)
{
	size_t angle = 0, comment = 0;
	bool quoted = false, literal = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if ((quoted || comment || literal) && c == '\\') {
			i++;
		} else if (quoted) {
			quoted = c != '"';
		} else if (comment) {
			comment += c == '(' ? 1 : c == ')' ? (size_t)-1 : 0;
		} else if (literal) {
			literal = c != ']';
		} else if (c == '"') {
			quoted = true;
		} else if (c == '(') {
			comment = 1;
		} else if (c == '[') {
			literal = true;
		} else if (c == '<') {
			if (angle++)
				return false;
		} else if (c == '>') {
			if (!angle--)
				return false;
		} else if (!angle && (c == ',' || c == ';' || c == ':')) {
			return false;
		}
	}
	return !angle && !quoted && !comment && !literal;
}

/* RFC 5322 §3.2.3: a local part written as a dot-atom needs no quotes. */
static bool is_dot_atom(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.' && s[i + 1] == '.')
			return false;
		/* RFC 6532 §3.2: UTF-8 is atext too */
		if (c != '.' && c < 0x80 &&
		    !(sv_ascii_isalpha(c) || sv_ascii_isdigit(c) || strchr("!#$%&'*+-/=?^_`{|}~", c)))
			return false;
	}
	return true;
}

bool sv_redirect_address(const char *s, size_t len, struct sv_buf *out)
{
	if (!one_mailbox(s, len))
		return false;
	struct sv_arena *a = sv_arena_new();
	struct sv_addr_list al;
	sv_addr_parse_list(a, s, len, &al);
	const struct sv_addr *ad = al.n == 1 ? &al.v[0] : NULL;
	bool ok = ad && ad->valid && ad->llen > 0 && ad->domain && ad->dlen > 0;
	if (ok) {
		sv_buf_reset(out);
		if (is_dot_atom(ad->local, ad->llen)) {
			sv_buf_append(out, ad->local, ad->llen);
		} else {
			/* RFC 5322 §3.2.4: quoted-string, '"' and '\\' escaped */
			sv_buf_putc(out, '"');
			for (size_t i = 0; i < ad->llen; i++) {
				if (ad->local[i] == '"' || ad->local[i] == '\\')
					sv_buf_putc(out, '\\');
				sv_buf_putc(out, ad->local[i]);
			}
			sv_buf_putc(out, '"');
		}
		sv_buf_putc(out, '@');
		sv_buf_append(out, ad->domain, ad->dlen);
	}
	sv_arena_free(a);
	return ok;
}

/* ---- validation hooks ---- */

/*
 * RFC 5322 §3.6.8: a field name is printable US-ASCII without ':'. A name
 * that is not one can be no header's name, so the test never matches it
 * (exists is false): a warning, not an error that would stop the whole
 * script. Names from variables are checked when the script runs.
 *
 * RFC 5228 §5.1: the address test takes any header name. Which headers
 * hold addresses is an open set (X-Original-To, Delivered-To, ...), so a
 * name is not refused here; a header whose value holds no address yields
 * none when the script runs (op_address).
 */
static bool check_header_names(struct sv_validator *v, struct sv_ast_arg *arg, const char *cmd)
{
	for (size_t i = 0; i < arg->nstrs; i++) {
		const struct sv_ast_str *s = &arg->strs[i];
		if (v->templates && memchr(s->s, '$', s->len))
			continue; /* known at run time only */
		if (!sv_header_name_valid(s->s, s->len))
			sv_validator_warning(v, s->loc,
					     "invalid header name '%s' in %s test: no header has it",
					     sv_validator_quote(v, s->s, s->len), cmd);
	}
	return true;
}

static bool validate_header(struct sv_validator *v, struct sv_ast_node *n)
{
	return check_header_names(v, sv_vnode(n)->pos[0], "header");
}

static bool validate_address(struct sv_validator *v, struct sv_ast_node *n)
{
	return check_header_names(v, sv_vnode(n)->pos[0], "address");
}

static bool validate_exists(struct sv_validator *v, struct sv_ast_node *n)
{
	return check_header_names(v, sv_vnode(n)->pos[0], "exists");
}

static bool validate_size(struct sv_validator *v, struct sv_ast_node *n)
{
	if (!sv_vnode_tag(n, "over") && !sv_vnode_tag(n, "under")) {
		sv_validator_error(v, n->loc, "the size test needs :over or :under");
		return false;
	}
	return true;
}

/* RFC 5228 §4.2: the address must be valid (RFC 5322 §3.4); a literal is
 * checked now, a value from a variable when the script runs. */
static bool validate_redirect(struct sv_validator *v, struct sv_ast_node *n)
{
	const struct sv_ast_str *s = &sv_vnode(n)->pos[0]->strs[0];
	if (v->templates && memchr(s->s, '$', s->len))
		return true;
	struct sv_buf addr = SV_BUF_INIT;
	bool ok = sv_redirect_address(s->s, s->len, &addr);
	sv_buf_free(&addr);
	if (!ok)
		sv_validator_error(v, s->loc, "invalid redirect address '%s'",
				   sv_validator_quote(v, s->s, s->len));
	return ok;
}

/* ---- operations ---- */

static enum sv_status op_jmp(struct sv_vm *vm, const struct sv_operands *ops)
{
	vm->next = (size_t)ops->pos[0].num;
	return SV_OK;
}

static enum sv_status op_jmpt(struct sv_vm *vm, const struct sv_operands *ops)
{
	if (vm->test)
		vm->next = (size_t)ops->pos[0].num;
	return SV_OK;
}

static enum sv_status op_jmpf(struct sv_vm *vm, const struct sv_operands *ops)
{
	if (!vm->test)
		vm->next = (size_t)ops->pos[0].num;
	return SV_OK;
}

static enum sv_status op_stop(struct sv_vm *vm, const struct sv_operands *ops)
{
	vm->stopped = true;
	return SV_OK;
}

/* ---- action kinds (§4.1-§4.4) ---- */

static void describe_keep(const struct sv_action *a, struct sv_buf *out)
{
	sv_buf_puts(out, "keep message in INBOX");
}

static void describe_redirect(const struct sv_action *a, struct sv_buf *out)
{
	sv_buf_puts(out, "redirect message to: ");
	sv_buf_put_sanitized(out, a->target, a->tlen, 512);
}

static void describe_discard(const struct sv_action *a, struct sv_buf *out)
{
	sv_buf_puts(out, "discard message");
}

/* §4.1 keep: files into INBOX; folds with a fileinto "INBOX" */
const struct sv_action_def sv_action_keep = {
	.name = "keep", .cancels_keep = true, .is_store = true, .phase = SV_PHASE_STORE,
	.duplicate = sv_action_fold_store, .describe = describe_keep,
	.prepare = sv_dlv_keep_prepare, .commit = sv_dlv_store_commit,
	.rollback = sv_dlv_store_rollback, .release = sv_dlv_store_release,
};
/* §4.2 redirect: sent on after the stores */
const struct sv_action_def sv_action_redirect = {
	.name = "redirect", .cancels_keep = true, .is_redirect = true, .phase = SV_PHASE_SEND,
	.duplicate = sv_action_fold_address, .describe = describe_redirect,
	.prepare = sv_dlv_redirect_prepare, .commit = sv_dlv_redirect_commit,
	.rollback = sv_dlv_redirect_rollback,
};
/* §4.3 discard: only cancels the implicit keep */
const struct sv_action_def sv_action_discard = {
	.name = "discard", .cancels_keep = true, .phase = SV_PHASE_NONE,
	.duplicate = sv_action_fold_kind, .describe = describe_discard,
};

static enum sv_status op_keep(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_action a = {.def = &sv_action_keep, .target = "INBOX", .tlen = 5};
	return sv_vm_add_action(vm, ops, &a);
}

static enum sv_status op_discard(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_action a = {.def = &sv_action_discard};
	return sv_vm_add_action(vm, ops, &a);
}

static enum sv_status op_redirect(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str to;
	enum sv_status st = sv_vm_string(vm, ops->pos[0].idx, &to);
	if (st != SV_OK)
		return st;
	/* RFC 5228 §4.2: a value from a variable that is no address is a
	 * runtime error (§2.10.6: the implicit keep is then taken); the
	 * message goes to the addr-spec alone, which the action records */
	struct sv_buf addr = SV_BUF_INIT;
	if (!sv_redirect_address(to.p, to.len, &addr)) {
		sv_buf_put_sanitized(&addr, to.p, to.len, 128);
		sv_vm_error(vm, "invalid redirect address '%s'", addr.p ? addr.p : "");
		sv_buf_free(&addr);
		return SV_FAIL;
	}
	struct sv_action a = {.def = &sv_action_redirect, .target = addr.p, .tlen = addr.len};
	st = sv_vm_add_action(vm, ops, &a);
	sv_buf_free(&addr);
	return st;
}

static enum sv_status op_header(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_matcher m;
	enum sv_status st = sv_match_begin(&m, vm, ops, ops->pos[1].idx);
	size_t n = sv_vm_list_len(vm, ops->pos[0].idx);
	for (size_t i = 0; i < n && st == SV_OK && !m.matched; i++) {
		struct sv_str name;
		if ((st = sv_vm_list_item(vm, ops->pos[0].idx, i, &name)) != SV_OK)
			break;
		if (!sv_header_name_valid(name.p, name.len))
			continue; /* RFC 5322 §3.6.8: no header has it */
		struct sv_hdr_iter it;
		sv_headers_begin(&it, vm, ops, name.p, name.len);
		for (struct sv_hdr *h; !m.matched && (h = sv_headers_next(&it));) {
			size_t len;
			const char *val = sv_msg_header_decoded(vm->msg, h, &len);
			sv_match_value(&m, val, len);
		}
	}
	if (st != SV_OK)
		return st;
	return sv_match_end(&m, &vm->test);
}

static enum sv_status op_address(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_matcher m;
	enum sv_status st = sv_match_begin(&m, vm, ops, ops->pos[1].idx);
	size_t n = sv_vm_list_len(vm, ops->pos[0].idx);
	for (size_t i = 0; i < n && st == SV_OK && !m.matched; i++) {
		struct sv_str name;
		if ((st = sv_vm_list_item(vm, ops->pos[0].idx, i, &name)) != SV_OK)
			break;
		if (!sv_header_name_valid(name.p, name.len))
			continue; /* RFC 5322 §3.6.8: no header has it */
		/* RFC 5228 §5.1: an entry of a header known to hold addresses
		 * that is not one is still matched by :all (its raw text); any
		 * other header yields only the addresses that parse, so that a
		 * Subject or a bare word is no address */
		bool known = sv_is_address_header(name.p, name.len);
		/* RFC 5260 §6: :index selects the field, then every address
		 * in it is tested */
		struct sv_hdr_iter it;
		sv_headers_begin(&it, vm, ops, name.p, name.len);
		for (struct sv_hdr *h; !m.matched && (h = sv_headers_next(&it));) {
			const struct sv_addr_list *al = sv_msg_header_addresses(vm->msg, h);
			for (size_t k = 0; k < al->n && !m.matched; k++)
				if (known || (al->v[k].valid && al->v[k].domain))
					sv_match_address(&m, ops, &al->v[k]);
		}
	}
	if (st != SV_OK)
		return st;
	return sv_match_end(&m, &vm->test);
}

static enum sv_status op_exists(struct sv_vm *vm, const struct sv_operands *ops)
{
	size_t n = sv_vm_list_len(vm, ops->pos[0].idx);
	vm->test = true;
	for (size_t i = 0; i < n && vm->test; i++) {
		struct sv_str name;
		enum sv_status st = sv_vm_list_item(vm, ops->pos[0].idx, i, &name);
		if (st != SV_OK)
			return st;
		/* RFC 5322 §3.6.8: no header has an invalid name */
		if (!(vm->test = sv_header_name_valid(name.p, name.len)))
			break;
		struct sv_hdr_iter it;
		sv_headers_begin(&it, vm, ops, name.p, name.len);
		vm->test = sv_headers_next(&it) != NULL;
	}
	return SV_OK;
}

static enum sv_status op_size(struct sv_vm *vm, const struct sv_operands *ops)
{
	uint64_t size = sv_msg_size(vm->msg);
	uint64_t limit = ops->pos[0].num;
	if (sv_ops_opt(ops, sv_ext_core(), OPT_OVER))
		vm->test = size > limit;
	else
		vm->test = size < limit;
	return SV_OK;
}

/* ---- the descriptor ---- */

static const struct sv_tag_def size_tags[] = {
	{.name = "over", .opt = OPT_OVER, .group = 1},
	{.name = "under", .opt = OPT_UNDER, .group = 1},
	{NULL},
};

static const struct sv_cmd_def core_commands[] = {
	{"require", SV_CMD_COMMAND, "l", .flags = SV_CMDF_CONTROL},
	{"if", SV_CMD_COMMAND, "", SV_SUBTESTS_ONE, SV_BLOCK_REQUIRED, SV_CMDF_CONTROL},
	{"elsif", SV_CMD_COMMAND, "", SV_SUBTESTS_ONE, SV_BLOCK_REQUIRED, SV_CMDF_CONTROL},
	{"else", SV_CMD_COMMAND, "", SV_SUBTESTS_NONE, SV_BLOCK_REQUIRED, SV_CMDF_CONTROL},
	{"stop", SV_CMD_COMMAND, "", .op = SV_OP_STOP},
	{"keep", SV_CMD_COMMAND, "", .op = SV_OP_KEEP},
	{"discard", SV_CMD_COMMAND, "", .op = SV_OP_DISCARD},
	{"redirect", SV_CMD_COMMAND, "s", .op = SV_OP_REDIRECT, .validate = validate_redirect},
	{"address", SV_CMD_TEST, "ll", .flags = SV_CMDF_MATCHING | SV_CMDF_ADDRPART,
	 .op = SV_OP_ADDRESS, .validate = validate_address},
	{"header", SV_CMD_TEST, "ll", .flags = SV_CMDF_MATCHING, .op = SV_OP_HEADER,
	 .validate = validate_header},
	{"exists", SV_CMD_TEST, "l", .op = SV_OP_EXISTS, .validate = validate_exists},
	{"size", SV_CMD_TEST, "n", .tags = size_tags, .op = SV_OP_SIZE,
	 .validate = validate_size},
	{"allof", SV_CMD_TEST, "", SV_SUBTESTS_LIST, .flags = SV_CMDF_CONTROL},
	{"anyof", SV_CMD_TEST, "", SV_SUBTESTS_LIST, .flags = SV_CMDF_CONTROL},
	{"not", SV_CMD_TEST, "", SV_SUBTESTS_ONE, .flags = SV_CMDF_CONTROL},
	{"true", SV_CMD_TEST, "", .flags = SV_CMDF_CONTROL},
	{"false", SV_CMD_TEST, "", .flags = SV_CMDF_CONTROL},
	{NULL},
};

static const struct sv_op_def core_ops[] = {
#define SV_OP(e, m, s, t, h) {m, s, op_##e, NULL, t},
#define op_JMP op_jmp
#define op_JMPT op_jmpt
#define op_JMPF op_jmpf
#define op_STOP op_stop
#define op_KEEP op_keep
#define op_DISCARD op_discard
#define op_REDIRECT op_redirect
#define op_HEADER op_header
#define op_ADDRESS op_address
#define op_EXISTS op_exists
#define op_SIZE op_size
#include "vm/opcodes.def"
#undef SV_OP
	{NULL},
};

static const char *const core_opt_names[] = {"comparator", "match", "address-part", "over",
					     "under"};

static const struct sv_cmp_def *const core_comparators[] = {&sv_cmp_octet, &sv_cmp_ascii_casemap,
							     NULL};
static const struct sv_match_def *const core_matches[] = {&sv_match_is, &sv_match_contains,
							   &sv_match_matches, NULL};
static const struct sv_addrpart_def *const core_parts[] = {&ap_all, &ap_localpart, &ap_domain,
							    NULL};

struct sv_ext_def sv_ext_core_def = {
	.name = "core",
	.always = true,
	.commands = core_commands,
	.ops = core_ops,
	.opt_kinds = "cmaff",
	.opt_names = core_opt_names,
	.match_types = core_matches,
	.comparators = core_comparators,
	.addrparts = core_parts,
};
