/*
 * ast.c: syntax tree constructors, the parse entry point and the tree dump
 * (RFC 5228 §8.2 generic grammar; see ast.h).
 *
 * sv_ast_print format (stable; the parser tests compare it exactly). Two
 * spaces of indentation per level; one line per item:
 *
 *   command <id> @<line>:<col>      a command
 *     tag :<name>                   its arguments, in order
 *     number <value>                (quantifier applied: 1K prints 1024)
 *     string "<bytes>"              a quoted string
 *     text "<bytes>"                a multi-line (text:) string
 *     strlist ["a", "b"]            a bracketed list (text: items print as
 *                                   text "..." inside the brackets)
 *     test <id> @<line>:<col>       its single test, printed like a command
 *     testlist                      or its parenthesised tests, one level
 *       test <id> @<line>:<col>     deeper
 *     block                         a block (also when empty), its
 *       command ...                 commands one level deeper
 *
 * Strings are printed between double quotes with '"' and '\' escaped as \"
 * and \\, CR, LF and TAB as \r \n \t, other control bytes and bytes that
 * are not UTF-8 as \xNN. Each line ends with '\n'. An empty script prints
 * nothing.
 */
#include "parser/ast.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/utf8.h"
#include "parser/lex.h"

/* arena.c: memory the caller fills in completely. */

struct sv_ast_node *sv_ast_new_node(struct sv_arena *a, const char *id, size_t idlen,
				    struct sv_loc loc)
{
	struct sv_ast_node *n = sv_arena_alloc_nozero(a, sizeof *n);
	*n = (struct sv_ast_node){.loc = loc};
	n->id = sv_arena_strndup(a, id, idlen);
	return n;
}

struct sv_ast_arg *sv_ast_new_arg(struct sv_arena *a, enum sv_ast_arg_kind kind,
				  struct sv_loc loc)
{
	struct sv_ast_arg *arg = sv_arena_alloc_nozero(a, sizeof *arg);
	*arg = (struct sv_ast_arg){.kind = kind, .loc = loc};
	return arg;
}

struct sv_ast *sv_parse(struct sv_arena *arena, const char *file, const char *src,
			size_t srclen, const struct sv_parse_options *opts,
			struct sv_diags *diags)
{
	struct sv_gr_top top = {0};
	return sv_parse_top(arena, file, src, srclen, opts, diags, &top);
}

struct sv_ast *sv_parse_top(struct sv_arena *arena, const char *file, const char *src,
			    size_t srclen, const struct sv_parse_options *opts,
			    struct sv_diags *diags, struct sv_gr_top *top)
{
	size_t errors_before = diags->errors;
	struct sv_parser p;
	memset(&p, 0, sizeof p);
	sv_lex_init(&p.lx, src, srclen, arena, diags);
	p.arena = arena;
	p.diags = diags;
	p.fold = top->flush != NULL;
	p.max_depth = opts && opts->max_nesting
			      ? opts->max_nesting
			      : (unsigned)sv_setting_table[SV_SET_max_nesting].def;
	p.ast = sv_arena_alloc(arena, sizeof *p.ast);
	p.ast->file = file ? sv_arena_strndup(arena, file, strlen(file)) : NULL;
	p.ast->src = src;
	p.ast->srclen = srclen;

	if (opts) {
		p.lx.cut = opts->cut;
		p.lx.ncut = opts->ncut;
	}
	int rc = sv_grammar_parse_top(&p, top);
	if (opts && opts->runaway_r)
		*opts->runaway_r = p.lx.quote_at_eof ? p.lx.first_multiline : 0;
	if (rc != 0 || diags->errors > errors_before)
		return NULL;
	return p.ast;
}

static void indent(struct sv_buf *out, unsigned depth)
{
	for (unsigned i = 0; i < depth; i++)
		sv_buf_puts(out, "  ");
}

static void print_str(struct sv_buf *out, const struct sv_ast_str *s)
{
	sv_buf_putc(out, '"');
	size_t i = 0;
	while (i < s->len) {
		unsigned char c = (unsigned char)s->s[i];
		if (c == '"' || c == '\\') {
			sv_buf_putc(out, '\\');
			sv_buf_putc(out, (char)c);
			i++;
		} else if (c == '\n') {
			sv_buf_puts(out, "\\n");
			i++;
		} else if (c == '\r') {
			sv_buf_puts(out, "\\r");
			i++;
		} else if (c == '\t') {
			sv_buf_puts(out, "\\t");
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			sv_buf_printf(out, "\\x%02x", c);
			i++;
		} else if (c < 0x80) {
			sv_buf_putc(out, (char)c);
			i++;
		} else {
			size_t l = sv_utf8_seq_len(s->s + i, s->len - i);
			if (l == 0) {
				sv_buf_printf(out, "\\x%02x", c);
				i++;
			} else {
				sv_buf_append(out, s->s + i, l);
				i += l;
			}
		}
	}
	sv_buf_putc(out, '"');
}

static void print_node(struct sv_buf *out, const struct sv_ast_node *n, const char *what,
		       unsigned depth);

static void print_arg(struct sv_buf *out, const struct sv_ast_arg *a, unsigned depth)
{
	indent(out, depth);
	switch (a->kind) {
	case SV_AST_NUMBER:
		sv_buf_printf(out, "number %llu\n", (unsigned long long)a->num);
		break;
	case SV_AST_TAG:
		sv_buf_printf(out, "tag :%s\n", a->tag);
		break;
	case SV_AST_STRING:
		sv_buf_puts(out, a->strs[0].multiline ? "text " : "string ");
		print_str(out, &a->strs[0]);
		sv_buf_putc(out, '\n');
		break;
	case SV_AST_STRLIST:
		sv_buf_puts(out, "strlist [");
		for (size_t i = 0; i < a->nstrs; i++) {
			if (i)
				sv_buf_puts(out, ", ");
			if (a->strs[i].multiline)
				sv_buf_puts(out, "text ");
			print_str(out, &a->strs[i]);
		}
		sv_buf_puts(out, "]\n");
		break;
	}
}

/* Recursion depth is bounded by the parser's nesting limit. */
static void print_node(struct sv_buf *out, const struct sv_ast_node *n, const char *what,
		       unsigned depth)
{
	indent(out, depth);
	sv_buf_printf(out, "%s %s @%u:%u\n", what, n->id, n->loc.line, n->loc.col);
	for (const struct sv_ast_arg *a = n->args; a; a = a->next)
		print_arg(out, a, depth + 1);
	if (n->test_list) {
		indent(out, depth + 1);
		sv_buf_puts(out, "testlist\n");
		for (const struct sv_ast_node *t = n->tests; t; t = t->next)
			print_node(out, t, "test", depth + 2);
	} else {
		for (const struct sv_ast_node *t = n->tests; t; t = t->next)
			print_node(out, t, "test", depth + 1);
	}
	if (n->has_block) {
		indent(out, depth + 1);
		sv_buf_puts(out, "block\n");
		for (const struct sv_ast_node *c = n->block; c; c = c->next)
			print_node(out, c, "command", depth + 2);
	}
}

void sv_ast_print(const struct sv_ast *ast, struct sv_buf *out)
{
	if (!ast)
		return;
	for (const struct sv_ast_node *c = ast->commands; c; c = c->next)
		print_node(out, c, "command", 0);
}
