/*
 * editheader.c: the editheader extension (RFC 5293): addheader (§4) and
 * deleteheader (§5) change the message's header through the message
 * model's overlay (mail/message.h), so every later test sees the change
 * (§7) and every later action carries the new version; the policy of
 * §6 and the limits.
 *
 * §4: a field name must be RFC 5322 ftext (a literal one is a compile
 * error, one from a variable a runtime error); a value that is not plain
 * unstructured text is made so (line breaks and control characters
 * become whitespace, non-ASCII words RFC 2047 encoded, the field folded:
 * sv_msg_add_field), and a value longer than editheader-max-header-size
 * is an error.
 * §5: :index counts from 1 (from the end with :last) before the values
 * are matched; values are matched decoded, as the header test matches
 * them; deleteheader is no test, so it sets no match variables (RFC 5229
 * §3.2). Relational :count is refused: it counts the values of a test,
 * and deleteheader has none to give.
 * §6: Received may never be deleted, nor the loop protections:
 * Auto-Submitted (RFC 3834), Delivered-To and X-Sieve-Redirected-From
 * (redirect's); Subject may always be added and deleted; the settings
 * protect more. A change that is not permitted is silently ignored.
 */
#include <stdint.h>
#include <string.h>

#include "ext/registry.h"
#include "lib/alloc.h"
#include "lib/utf8.h"
#include "mail/message.h"
#include "parser/validate.h"
#include "vm/address.h"
#include "vm/vm.h"

enum { OP_ADDHEADER, OP_DELETEHEADER };
enum { OPT_LAST = 0, OPT_INDEX = 1 };
enum { SET_MAX_HEADER_SIZE, SET_PROTECTED, SET_FORBID_ADD, SET_FORBID_DELETE };

static const struct sv_setting_info editheader_settings[] = {
    [SET_MAX_HEADER_SIZE] = {"editheader-max-header-size", "sieve_editheader_max_header_size",
                             SV_SETTING_SIZE, 2048, 1024, 64 * SV_KiB, NULL,
                             "longest value addheader accepts (RFC 5293 §4: at least 998)"},
    [SET_PROTECTED] = {"editheader-protected", "sieve_editheader_protected", SV_SETTING_TEXT, 0, 0,
                       0, "",
                       "header fields (space-separated names) editheader may neither add nor "
                       "delete; Subject cannot be protected (RFC 5293 §6)"},
    [SET_FORBID_ADD] = {"editheader-forbid-add", "sieve_editheader_forbid_add", SV_SETTING_TEXT, 0,
                        0, 0, "",
                        "header fields (space-separated names) addheader may not add; Subject "
                        "cannot be forbidden"},
    [SET_FORBID_DELETE] = {"editheader-forbid-delete", "sieve_editheader_forbid_delete",
                           SV_SETTING_TEXT, 0, 0, 0, "",
                           "header fields (space-separated names) deleteheader may not delete, "
                           "besides Received, Auto-Submitted, Delivered-To and "
                           "X-Sieve-Redirected-From, which never may be; Subject cannot be "
                           "forbidden"},
    {NULL},
};

/* ---- policy (RFC 5293 §6) ---- */

static const char *setting_text(struct sv_vm *vm, unsigned local)
{
	return vm->settings ? sv_settings_text(vm->settings,
	                                       sv_ext_setting_id(&sv_ext_editheader_def, local))
	                    : "";
}

/* Is name among the names of list (separated by spaces, tabs or commas),
 * compared without case (RFC 5322 §1.2.2)? */
static bool listed(const char *list, const char *name, size_t len)
{
	size_t i = 0, n = strlen(list);
	while (i < n) {
		while (i < n && (list[i] == ' ' || list[i] == '\t' || list[i] == ','))
			i++;
		size_t s = i;
		while (i < n && list[i] != ' ' && list[i] != '\t' && list[i] != ',')
			i++;
		if (i > s && sv_ascii_ieq(list + s, i - s, name, len))
			return true;
	}
	return false;
}

static bool may_add(struct sv_vm *vm, const char *name, size_t len)
{
	/* §6: "MUST permit both addition and deletion of the Subject" */
	if (sv_ascii_ieq(name, len, "Subject", 7))
		return true;
	return !listed(setting_text(vm, SET_PROTECTED), name, len) &&
	       !listed(setting_text(vm, SET_FORBID_ADD), name, len);
}

static bool may_delete(struct sv_vm *vm, const char *name, size_t len)
{
	if (sv_ascii_ieq(name, len, "Subject", 7))
		return true;
	/* §6: "MUST NOT permit attempts to delete Received header fields";
	   Auto-Submitted keeps auto-responders from answering each other
	   (RFC 3834 §5), Delivered-To and X-Sieve-Redirected-From keep a
	   redirect from looping (delivery/execute.c reads them when the
	   message comes back): a script must not undo either */
	if (sv_ascii_ieq(name, len, "Received", 8) ||
	    sv_ascii_ieq(name, len, "Auto-Submitted", 14) ||
	    sv_ascii_ieq(name, len, "Delivered-To", 12) ||
	    sv_ascii_ieq(name, len, "X-Sieve-Redirected-From", 23))
		return false;
	return !listed(setting_text(vm, SET_PROTECTED), name, len) &&
	       !listed(setting_text(vm, SET_FORBID_DELETE), name, len);
}

/* A field name from a variable: §4, §5 (the literal ones were checked
 * when compiling); one added must fit a line, max (RFC 5322 §2.1.1). */
static enum sv_status check_name(struct sv_vm *vm, const char *cmd, const struct sv_str *name,
                                 size_t max)
{
	if (sv_header_name_valid(name->p, name->len) && name->len <= max)
		return SV_OK;
	struct sv_buf q = SV_BUF_INIT;
	sv_buf_put_sanitized(&q, name->p, name->len, 128);
	sv_vm_error(vm, "%s: invalid header field name '%s'", cmd, q.p ? q.p : "");
	sv_buf_free(&q);
	return SV_FAIL;
}

/* ---- operations ---- */

/* Fields a view rebuild copies per instruction charged (about the time
 * one instruction takes). */
#define VIEW_FIELDS_PER_STEP 8

/* Charge the script for the views rebuilt since the last charge: each
 * reader after an edit copies the whole header (mail/message.c), so edits
 * and readers taking turns cost the square of the fields, which
 * max-instructions must bound as it bounds every other work. */
static enum sv_status charge_views(struct sv_vm *vm, const char *cmd)
{
	return sv_vm_charge(vm, sv_msg_take_view_work(vm->msg) / VIEW_FIELDS_PER_STEP, cmd);
}

/* §4: addheader [":last"] <field-name> <value> */
static enum sv_status op_addheader(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str name, value;
	enum sv_status st = charge_views(vm, "addheader");
	if (st == SV_OK)
		st = sv_vm_string(vm, ops->pos[0].idx, &name);
	if (st == SV_OK)
		st = sv_vm_string(vm, ops->pos[1].idx, &value);
	if (st == SV_OK)
		st = check_name(vm, "addheader", &name, SV_MSG_FIELD_NAME_MAX);
	if (st != SV_OK)
		return st;
	uint64_t max = sv_ext_setting(vm->settings, &sv_ext_editheader_def, SET_MAX_HEADER_SIZE);
	if (value.len > max) {
		sv_vm_error(vm,
		            "addheader: the value is %zu bytes, longer than %llu "
		            "(editheader-max-header-size)",
		            value.len, (unsigned long long)max);
		return SV_FAIL;
	}
	if (!may_add(vm, name.p, name.len))
		return SV_OK; /* §6: silently ignored */
	bool last = sv_ops_opt(ops, &sv_ext_editheader_def, OPT_LAST) != NULL;
	uint64_t cap = vm->settings ? vm->settings->max_message_size : 0;
	st = sv_msg_add_field(vm->msg, name.p, name.len, value.p, value.len, last, cap);
	if (st == SV_LIMIT) {
		sv_vm_error(vm,
		            "addheader: the message would grow past %llu bytes (max-message-size)",
		            (unsigned long long)cap);
		return SV_LIMIT;
	}
	if (st != SV_OK)
		sv_vm_error(vm, "addheader: the field cannot be added: %s", sv_status_name(st));
	return st;
}

/* The fields deleteheader looks at: every one of the name, or the one
 * :index selects (§5: counted before the values are matched). *n_r 0
 * when :index passes the last one (not an error). sv_malloc'd. */
static struct sv_hdr **candidates(struct sv_vm *vm, const struct sv_operands *ops,
                                  const struct sv_str *name, size_t *n_r)
{
	size_t n = sv_msg_header_count(vm->msg, name->p, name->len);
	const struct sv_optarg *idx = sv_ops_opt(ops, &sv_ext_editheader_def, OPT_INDEX);
	bool from_end = sv_ops_opt(ops, &sv_ext_editheader_def, OPT_LAST) != NULL;
	size_t want = SIZE_MAX; /* position among the fields of the name */
	if (idx) {
		if (idx->num == 0 || idx->num > n) {
			*n_r = 0;
			return NULL;
		}
		want = from_end ? n - (size_t)idx->num : (size_t)idx->num - 1;
	}
	struct sv_hdr **v = sv_malloc((n ? n : 1) * sizeof *v);
	size_t k = 0, i = 0;
	for (struct sv_hdr *h = sv_msg_header(vm->msg, name->p, name->len); h;
	     h = h->next_same, i++)
		if (want == SIZE_MAX || i == want)
			v[k++] = h;
	*n_r = k;
	return v;
}

/* §5: deleteheader [":index" <fieldno> [":last"]] [COMPARATOR]
 * [MATCH-TYPE] <field-name> [<value-patterns>] */
static enum sv_status op_deleteheader(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_str name;
	enum sv_status st = charge_views(vm, "deleteheader");
	if (st == SV_OK)
		st = sv_vm_string(vm, ops->pos[0].idx, &name);
	if (st == SV_OK)
		st = check_name(vm, "deleteheader", &name, SIZE_MAX);
	if (st != SV_OK)
		return st;
	if (!may_delete(vm, name.p, name.len))
		return SV_OK; /* §6: silently ignored */
	size_t n;
	struct sv_hdr **v = candidates(vm, ops, &name, &n);
	if (n == 0) {
		sv_free(v);
		return SV_OK;
	}
	size_t k = n;
	if (sv_vm_list_len(vm, ops->pos[1].idx) > 0) {
		/* delete the fields whose decoded value matches a pattern (as
		   the header test matches, RFC 5228 §5.7); no match variables:
		   this is no test (RFC 5229 §3.2) */
		bool active = vm->match.active;
		vm->match.active = false;
		struct sv_matcher m;
		st = sv_match_begin(&m, vm, ops, ops->pos[1].idx);
		k = 0;
		for (size_t i = 0; i < n && st == SV_OK; i++) {
			size_t len;
			const char *val = sv_msg_header_decoded(vm->msg, v[i], &len);
			m.matched = false;
			if (sv_match_value(&m, val, len))
				v[k++] = v[i];
			st = m.status;
		}
		bool any;
		enum sv_status end = sv_match_end(&m, &any);
		if (st == SV_OK)
			st = end;
		vm->match.active = active;
	}
	if (st == SV_OK && k)
		sv_msg_delete_fields(vm->msg, v, k);
	sv_free(v);
	return st;
}

/* ---- validation ---- */

/* A literal field name must be one (§4, §5); a name from a variable is
 * checked when the script runs. */
static bool check_literal_name(struct sv_validator *v, struct sv_ast_node *n, size_t max)
{
	const struct sv_ast_str *s = &sv_vnode(n)->pos[0]->strs[0];
	if (v->templates && memmem(s->s, s->len, "${", 2))
		return true;
	if (sv_header_name_valid(s->s, s->len) && s->len <= max)
		return true;
	sv_validator_error(v, s->loc, "invalid header field name '%s' in %s",
	                   sv_validator_quote(v, s->s, s->len), n->id);
	return false;
}

static bool validate_addheader(struct sv_validator *v, struct sv_ast_node *n)
{
	/* a name added must fit a line (RFC 5322 §2.1.1) */
	if (!check_literal_name(v, n, SV_MSG_FIELD_NAME_MAX))
		return false;
	const struct sv_ast_str *val = &sv_vnode(n)->pos[1]->strs[0];
	uint64_t max = sv_ext_setting(v->settings, &sv_ext_editheader_def, SET_MAX_HEADER_SIZE);
	if (!(v->templates && memmem(val->s, val->len, "${", 2)) && val->len > max) {
		sv_validator_error(v, val->loc,
		                   "the value of addheader is %zu bytes, longer than %llu "
		                   "(editheader-max-header-size)",
		                   val->len, (unsigned long long)max);
		return false;
	}
	return true;
}

static bool validate_deleteheader(struct sv_validator *v, struct sv_ast_node *n)
{
	bool ok = check_literal_name(v, n, SIZE_MAX);
	struct sv_vtag *idx = sv_vnode_tag(n, "index");
	struct sv_vtag *last = sv_vnode_tag(n, "last");
	/* §5: ":last" only together with ":index" */
	if (last && !idx) {
		sv_validator_error(v, last->tag->loc, "deleteheader: :last needs :index");
		ok = false;
	}
	if (idx && idx->value && idx->value->num == 0) {
		sv_validator_error(v, idx->value->loc,
		                   "deleteheader: :index counts from 1, 0 names no field");
		ok = false;
	}
	struct sv_vnode *vn = sv_vnode(n);
	for (size_t i = 0; i < vn->ntags; i++) {
		const struct sv_vtag *t = &vn->tags[i];
		if (t->family == 'm' && t->fext->match_types[t->fidx]->count) {
			sv_validator_error(
			    v, t->tag->loc,
			    "deleteheader cannot use :count: it matches each field's "
			    "value, it counts none");
			ok = false;
		}
	}
	return ok;
}

static const struct sv_tag_def addheader_tags[] = {
    {.name = "last", .opt = OPT_LAST},
    {NULL},
};

static const struct sv_tag_def deleteheader_tags[] = {
    {.name = "index", .value = 'n', .opt = OPT_INDEX},
    {.name = "last", .opt = OPT_LAST},
    {NULL},
};

static const struct sv_cmd_def editheader_commands[] = {
    {"addheader", SV_CMD_COMMAND, "ss", .tags = addheader_tags, .op = OP_ADDHEADER,
     .validate = validate_addheader},
    {"deleteheader", SV_CMD_COMMAND, "s?l", .flags = SV_CMDF_MATCHING, .tags = deleteheader_tags,
     .op = OP_DELETEHEADER, .validate = validate_deleteheader},
    {NULL},
};

static const struct sv_op_def editheader_ops[] = {
    [OP_ADDHEADER] = {"addheader", "ssx", op_addheader, NULL, false},
    [OP_DELETEHEADER] = {"deleteheader", "slx", op_deleteheader, NULL, false},
    {NULL},
};

static const char *const editheader_opt_names[] = {"last", "index"};

struct sv_ext_def sv_ext_editheader_def = {
    .name = "editheader",
    .commands = editheader_commands,
    .ops = editheader_ops,
    .opt_kinds = "fn",
    .opt_names = editheader_opt_names,
    .settings = editheader_settings,
};
