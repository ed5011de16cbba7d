/*
 * body.c: the body extension (RFC 5173): the body test with the body
 * transforms :raw (§5.1, the undecoded body), :content (§5.2, the decoded
 * parts of the given MIME types) and :text (§5.3, the text parts;
 * the default; HTML parts without their markup). Each part is one value;
 * :count counts parts. A message without a body matches nothing (§5);
 * body never sets match variables (§6).
 *
 * Past the settings max-mime-parts and max-mime-depth the MIME tree ends
 * in undivided parts (src/mail/mime.c): they are searched as text by :text
 * and by :content whatever types it lists (their content as it stands,
 * then the encoded parts directly inside them decoded), so nothing past a
 * limit goes unsearched. :raw never copies the body; a decoded part lives while it is
 * matched and is freed after, unless small enough to be cached.
 */
#include <string.h>

#include "ext/registry.h"
#include "lib/alloc.h"
#include "lib/utf8.h"
#include "mail/message.h"
#include "parser/validate.h"
#include "vm/vm.h"

enum { OPT_RAW, OPT_CONTENT, OPT_TEXT };

/* RFC 5173 §5.2: a content type that begins or ends with a slash, or has
 * more than one, names no type at all. */
static bool type_valid(const char *t, size_t len)
{
	const char *slash = memchr(t, '/', len);
	if (!slash)
		return true;
	return slash != t && slash != t + len - 1 &&
	       !memchr(slash + 1, '/', len - (size_t)(slash + 1 - t));
}

/* RFC 5173 §5.2: "" matches every type, "text" a whole type, "text/html"
 * a type and subtype; no wildcards, no parameters. */
static bool type_matches(const struct sv_mime_part *p, const char *t, size_t len)
{
	if (len == 0)
		return true;
	const char *slash = memchr(t, '/', len);
	if (!slash)
		return sv_ascii_ieq(p->type, strlen(p->type), t, len);
	return sv_ascii_ieq(p->ctype, strlen(p->ctype), t, len);
}

static bool validate_content(struct sv_validator *v, struct sv_ast_node *cmd,
			     struct sv_ast_arg *tag, struct sv_ast_arg *value)
{
	for (size_t i = 0; i < value->nstrs; i++) {
		const struct sv_ast_str *s = &value->strs[i];
		if (memchr(s->s, ';', s->len) || memchr(s->s, '*', s->len)) {
			sv_validator_error(v, s->loc,
					   "invalid content type '%s' for :content (no parameters or wildcards)",
					   sv_validator_quote(v, s->s, s->len));
			return false;
		}
	}
	return true;
}

struct walk {
	struct sv_vm *vm;
	struct sv_matcher *m;
	const struct sv_operands *ops;
	uint32_t types; /* list index, or UINT32_MAX for :text */
	enum sv_status st;
};

static bool wanted(struct walk *w, const struct sv_mime_part *p)
{
	if (w->types == UINT32_MAX)
		return p->undivided || strcmp(p->type, "text") == 0;
	size_t n = sv_vm_list_len(w->vm, w->types);
	for (size_t i = 0; i < n; i++) {
		struct sv_str t;
		if ((w->st = sv_vm_list_item(w->vm, w->types, i, &t)) != SV_OK)
			return false;
		if (!type_valid(t.p, t.len))
			continue;
		/* what is past a MIME limit may be of any type: searched
		   for every type named */
		if (p->undivided || type_matches(p, t.p, t.len))
			return true;
	}
	return false;
}

/* RFC 5173 §5.3: the text a reader sees; HTML without its markup */
static void match_text(struct walk *w, const struct sv_mime_part *p, const char *text,
		       size_t len)
{
	if (w->types != UINT32_MAX || p->undivided || strcmp(p->subtype, "html") != 0) {
		sv_match_value(w->m, text, len);
		return;
	}
	struct sv_buf plain = SV_BUF_INIT;
	sv_mail_html_text(&plain, text, len);
	sv_match_value(w->m, plain.p, plain.len);
	sv_buf_free(&plain);
}

/* Recursion is as deep as the tree, which max-mime-depth bounds. */
static void walk_parts(struct walk *w, struct sv_mime_part *p)
{
	for (; p && !w->m->matched && w->st == SV_OK; p = p->next) {
		if (p->multipart || p->is_message) {
			/* RFC 5173 §5.2: a multipart part's own text (prologue and
			   epilogue) is searched only when asked for by type */
			if (w->types != UINT32_MAX && p->multipart && wanted(w, p)) {
				size_t olen;
				const char *o = sv_msg_part_outside(w->vm->msg, p, &olen);
				sv_match_value(w->m, o, olen);
			}
			/* RFC 5173 §5.2: a matched message/rfc822 part offers only
			   the header of the enclosed message, as one string */
			if (w->types != UINT32_MAX && p->is_message && p->children && wanted(w, p))
				sv_match_value(w->m, p->children->header, p->children->hlen);
			walk_parts(w, p->children);
			continue;
		}
		if (!wanted(w, p))
			continue;
		size_t len;
		char *owned;
		const char *text = sv_msg_part_text_use(w->vm->msg, p, &len, &owned);
		match_text(w, p, text, len);
		sv_free(owned); /* match variables are copies: nothing points here */
	}
}

static enum sv_status op_body(struct sv_vm *vm, const struct sv_operands *ops)
{
	struct sv_matcher m;
	enum sv_status st = sv_match_begin(&m, vm, ops, ops->pos[0].idx);
	if (st != SV_OK)
		return st;
	const struct sv_ext_def *me = &sv_ext_body_def;
	/* RFC 5173 §6 (updating RFC 5229 §3.2): body :matches sets no match
	   variables; those of an earlier test stay */
	bool captures = vm->match.active;
	vm->match.active = false;
	if (!sv_msg_has_body(vm->msg)) {
		/* RFC 5173 §5: a header without the empty line after it gives
		   nothing to match, so every body test is false, even for "" */
	} else if (sv_ops_opt(ops, me, OPT_RAW)) {
		size_t len;
		const char *b = sv_msg_body(vm->msg, &len);
		sv_match_value(&m, b, len);
	} else {
		const struct sv_optarg *c = sv_ops_opt(ops, me, OPT_CONTENT);
		struct walk w = {vm, &m, ops, c ? c->idx : UINT32_MAX, SV_OK};
		sv_msg_set_mime_limits(vm->msg, vm->settings->max_mime_parts,
				       vm->settings->max_mime_depth);
		walk_parts(&w, sv_msg_mime(vm->msg));
		st = w.st;
	}
	vm->match.active = captures;
	if (st != SV_OK)
		return st;
	return sv_match_end(&m, &vm->test);
}

static const struct sv_tag_def body_tags[] = {
	{.name = "raw", .opt = OPT_RAW, .group = 1},
	{.name = "content", .value = 'l', .opt = OPT_CONTENT, .group = 1,
	 .validate = validate_content},
	{.name = "text", .opt = OPT_TEXT, .group = 1},
	{NULL},
};

static const struct sv_cmd_def body_commands[] = {
	{"body", SV_CMD_TEST, "l", .flags = SV_CMDF_MATCHING, .tags = body_tags, .op = 0},
	{NULL},
};

static const struct sv_op_def body_ops[] = {
	{"body", "lx", op_body, NULL, true},
	{NULL},
};

static const char *const body_opt_names[] = {"raw", "content", "text"};

struct sv_ext_def sv_ext_body_def = {
	.name = "body",
	.commands = body_commands,
	.ops = body_ops,
	.opt_kinds = "flf",
	.opt_names = body_opt_names,
};
