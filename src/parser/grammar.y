/*
 * grammar.y: the generic grammar of Sieve, RFC 5228 §8.2.
 *
 * No command name is a token: every command and test is an identifier with
 * arguments, an optional test or test list, and an optional block; meaning
 * comes later (validate.c). The actions build the tree of ast.h in the
 * compile arena.
 *
 * Beyond the RFC:
 *  - error recovery at command level (skip to the next ';' or block) and at
 *    block level (skip to the closing '}'), so one run reports many syntax
 *    errors; bison's usual rule silences cascades until three tokens have
 *    been shifted. A command lost that way stays in the list as a broken
 *    node (ast.h), so the validator, which goes on with the commands that
 *    parsed, takes an elsif after a lost if, or the uses of a lost
 *    require, for no new mistake;
 *  - the nesting limit (max-nesting-depth of limits.h) is enforced as soon
 *    as a '{' or a test identifier is read, so no later recursive walk of
 *    the tree can overflow the stack. A node's depth is the number of
 *    blocks and tests around it, itself included: a top-level command is
 *    at 0, its test at 1, a test inside that test (or inside its test list)
 *    at 2, and the block of a top-level command at 1.
 */

%code requires {
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/diag.h"
#include "parser/ast.h"

struct sv_parser;

/* An identifier or tag as written: points into the source. */
struct sv_lex_text {
	const char *s;
	size_t len;
};

/* Lists built left-recursively, with their tails. */
struct sv_gr_nodes {
	struct sv_ast_node *head, *tail;
	size_t n;
};
struct sv_gr_strlink {
	struct sv_ast_str str;
	struct sv_gr_strlink *next;
};
struct sv_gr_strs {
	struct sv_gr_strlink *head, *tail;
	size_t n;
};
/* A string token: the location is the token's (@n). */
struct sv_lex_str {
	char *s;
	size_t len;
	bool multiline;
};

/*
 * The top-level commands as they are parsed. Without flush, they are all
 * kept and become the tree's command list. With flush (the compiler's
 * streaming mode), the commands read so far are handed to flush whenever
 * a top-level command starts that cannot continue them (anything but elsif
 * and else), and at the end (final); flush may then reuse their memory,
 * and must set the parser's arena (p->arena and p->lx.arena) for what
 * follows.
 */
struct sv_gr_top {
	struct sv_ast_node *head, *tail;
	size_t n;
	void (*flush)(struct sv_gr_top *top, struct sv_parser *p, bool final);
	void *ctx;
};
}

%code provides {
/* Parse p's script, handing the top-level commands to top (see struct
 * sv_gr_top). 0 on success. */
int sv_grammar_parse_top(struct sv_parser *p, struct sv_gr_top *top);
/* sv_parse (ast.h) handing the top-level commands to top; with top->flush
 * set, the tree returned has no commands (flush has had them). */
struct sv_ast *sv_parse_top(struct sv_arena *arena, const char *file, const char *src,
			    size_t srclen, const struct sv_parse_options *opts,
			    struct sv_diags *diags, struct sv_gr_top *top);
}

%code {
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "parser/lex.h"

/* A nonterminal's location: its first symbol's (an empty one: the
 * previous symbol's). Only the tokens' locations are used. */
#define YYLLOC_DEFAULT(cur, rhs, n)                                  \
	do {                                                         \
		if (n)                                               \
			(cur) = YYRHSLOC(rhs, 1);                    \
		else                                                 \
			(cur) = YYRHSLOC(rhs, 0);                    \
	} while (0)

/* max-nesting-depth is at most 256 (limits.h): the stack stays small. */
#define YYMAXDEPTH 20000
#define YYMALLOC sv_malloc
#define YYFREE sv_free

static int sv_yylex(SV_YYSTYPE *lval, SV_YYLTYPE *lloc, struct sv_parser *p);
static void sv_yyerror(SV_YYLTYPE *lloc, struct sv_parser *p, struct sv_gr_top *top,
		       const char *msg);
static void top_add(struct sv_gr_top *top, struct sv_ast_node *n);
static void top_boundary(struct sv_parser *p, struct sv_gr_top *top, struct sv_lex_text id);

static bool enter(struct sv_parser *p, struct sv_loc loc);
static struct sv_ast_node *lost_node(struct sv_parser *p, struct sv_loc loc);
static const char *id_copy(struct sv_parser *p, struct sv_lex_text t);
static struct sv_ast_node *new_node(struct sv_parser *p, struct sv_lex_text id,
				    struct sv_loc loc);
static void nodes_init(struct sv_gr_nodes *l);
static void nodes_add(struct sv_gr_nodes *l, struct sv_ast_node *n);
static struct sv_ast_str make_str(const struct sv_lex_str *s, struct sv_loc loc);
/* Link argument a after last (NULL: the first) of node n: the node under
 * the arglist on the stack ($<node>0, a cmd_id or a test_id). */
static struct sv_ast_arg *arglist_link(struct sv_ast_node *n, struct sv_ast_arg *last,
				       struct sv_ast_arg *a);
}

%define api.prefix {sv_yy}
%define api.token.prefix {SV_TOK_}
%define api.pure full
%define api.location.type {struct sv_loc}
%define parse.error custom
%locations
%lex-param {struct sv_parser *p}
%parse-param {struct sv_parser *p} {struct sv_gr_top *top}
%expect 0

/* Kept small: values are copied on every shift and reduction. */
%union {
	struct sv_lex_text text;
	uint64_t num;
	struct sv_lex_str str;
	struct sv_ast_node *node;
	struct sv_ast_node *tnode;
	unsigned depth;
	struct sv_ast_arg *arg;
	struct sv_gr_nodes nodes;
	struct sv_gr_strs strs;
}

%token <text> IDENT "identifier"
%token <text> TAG "tag"
%token <num> NUMBER "number"
%token <str> STRING "string"
/* Declared so that messages list them in this order. */
%token ';' '{' ',' ')' ']' '}' '(' '['

%type <nodes> commands tests block
%type <node> command test cmd_id
%type <tnode> test_id
%type <depth> block_open
%type <arg> arglist
%type <strs> strings

/* A '{' or a test identifier popped by error recovery leaves its level. */
%destructor { p->depth--; } <tnode> <depth>

%%

/* RFC 5228 §8.2: start = commands */
start:
	  top_commands
		{
			if (top->flush) {
				top->flush(top, p, true);
			} else {
				p->ast->commands = top->head;
				p->ast->ncommands = top->n;
			}
		}
	;

top_commands:
	  %empty			{ }
	| top_commands command		{ top_add(top, $2); }
	| top_commands error '}'	{ yyerrok; }
	;

/* commands = *command */
commands:
	  %empty			{ nodes_init(&$$); }
	| commands command		{ $$ = $1; nodes_add(&$$, $2); }
	;

/* command = identifier arguments (";" / block)
 * (arguments written out in each rule: fewer reductions per command) */
command:
	  cmd_id arglist ';'
		{
			(void)$2;
			$$ = $1;
			$$->end = @3;
		}
	| cmd_id arglist test ';'
		{
			(void)$2;
			$$ = $1;
			$$->tests = $3;
			$$->ntests = 1;
			$$->end = @4;
		}
	| cmd_id arglist '(' tests ')' ';'
		{
			(void)$2;
			$$ = $1;
			$$->tests = $4.head;
			$$->ntests = $4.n;
			$$->test_list = true;
			$$->end = @6;
		}
	| cmd_id arglist block
		{
			(void)$2;
			$$ = $1;
			$$->has_block = true;
			$$->block = $3.head;
			$$->nblock = $3.n;
			$$->end = @3;
		}
	| cmd_id arglist test block
		{
			(void)$2;
			$$ = $1;
			$$->tests = $3;
			$$->ntests = 1;
			$$->has_block = true;
			$$->block = $4.head;
			$$->nblock = $4.n;
			$$->end = @4;
		}
	| cmd_id arglist '(' tests ')' block
		{
			(void)$2;
			$$ = $1;
			$$->tests = $4.head;
			$$->ntests = $4.n;
			$$->test_list = true;
			$$->has_block = true;
			$$->block = $6.head;
			$$->nblock = $6.n;
			$$->end = @6;
		}
	| error ';'			{ $$ = lost_node(p, @1); yyerrok; }
	| error block			{ $$ = lost_node(p, @1); yyerrok; }
	;

/* The node is made as soon as its identifier is read; the arguments rules
 * below fill it in through $<node>0, the symbol under them on the stack
 * (always a cmd_id or a test_id). */
cmd_id:
	  IDENT
		{
			if (p->depth == 0 && top->head && top->flush)
				top_boundary(p, top, $1);
			$$ = new_node(p, $1, @1);
			p->last_cmd = $$;
		}
	;

/* block = "{" commands "}"; its location is the closing brace's. */
block:
	  block_open commands '}'
		{
			(void)$1;
			$$ = $2;
			@$ = @3;
			p->depth--;
		}
	| block_open commands error '}'
		{
			(void)$1;
			$$ = $2;
			@$ = @4;
			p->depth--;
			yyerrok;
		}
	;

block_open:
	  '{'
		{
			if (!enter(p, @1))
				YYABORT;
			$$ = p->depth;
		}
	;

/* arguments = *argument [ test / test-list ]: the test or test list is
 * in the command and test rules. */

/* The value is the last argument so far (to link the next one).
 * argument = string-list / number / tag, one rule each (no reduction of
 * its own). */
arglist:
	  %empty			{ $$ = NULL; }
	| arglist STRING
		{
			struct sv_ast_arg *a = sv_ast_new_arg(p->arena, SV_AST_STRING, @2);
			a->strs = sv_arena_alloc(p->arena, sizeof *a->strs);
			a->strs[0] = make_str(&$2, @2);
			a->nstrs = 1;
			$$ = arglist_link($<node>0, $1, a);
		}
	| arglist NUMBER
		{
			struct sv_ast_arg *a = sv_ast_new_arg(p->arena, SV_AST_NUMBER, @2);
			a->num = $2;
			$$ = arglist_link($<node>0, $1, a);
		}
	| arglist TAG
		{
			struct sv_ast_arg *a = sv_ast_new_arg(p->arena, SV_AST_TAG, @2);
			a->tag = id_copy(p, $2);
			$$ = arglist_link($<node>0, $1, a);
		}
	| arglist '[' strings ']'
		{
			struct sv_loc loc = @2;
			/* underline the whole list when it is on one line */
			if (@4.line == @2.line && @4.col > @2.col)
				loc.width = @4.col - @2.col + 1;
			struct sv_ast_arg *a = sv_ast_new_arg(p->arena, SV_AST_STRLIST, loc);
			a->strs = sv_arena_array(p->arena, $3.n, sizeof *a->strs);
			a->nstrs = $3.n;
			size_t i = 0;
			for (struct sv_gr_strlink *l = $3.head; l; l = l->next)
				a->strs[i++] = l->str;
			$$ = arglist_link($<node>0, $1, a);
		}
	;

/* string-list = "[" string *("," string) "]" / string */
strings:
	  STRING
		{
			struct sv_gr_strlink *l = sv_arena_alloc(p->arena, sizeof *l);
			l->str = make_str(&$1, @1);
			$$.head = $$.tail = l;
			$$.n = 1;
		}
	| strings ',' STRING
		{
			struct sv_gr_strlink *l = sv_arena_alloc(p->arena, sizeof *l);
			l->str = make_str(&$3, @3);
			$$ = $1;
			$$.tail->next = l;
			$$.tail = l;
			$$.n++;
		}
	;

/* test-list = "(" test *("," test) ")" */
tests:
	  test				{ nodes_init(&$$); nodes_add(&$$, $1); }
	| tests ',' test		{ $$ = $1; nodes_add(&$$, $3); }
	;

/* test = identifier arguments */
test:
	  test_id arglist
		{
			(void)$2;
			$$ = $1;
			p->depth--;
		}
	| test_id arglist test
		{
			(void)$2;
			$$ = $1;
			$$->tests = $3;
			$$->ntests = 1;
			p->depth--;
		}
	| test_id arglist '(' tests ')'
		{
			(void)$2;
			$$ = $1;
			$$->tests = $4.head;
			$$->ntests = $4.n;
			$$->test_list = true;
			p->depth--;
		}
	;

test_id:
	  IDENT
		{
			if (!enter(p, @1))
				YYABORT;
			$$ = new_node(p, $1, @1);
		}
	;

%%

static int sv_yylex(SV_YYSTYPE *lval, SV_YYLTYPE *lloc, struct sv_parser *p)
{
	return sv_lex_next(&p->lx, lval, lloc);
}

/* Only bison's own failures come here (the stack limit); syntax errors go
 * through yyreport_syntax_error below. */
static void sv_yyerror(SV_YYLTYPE *lloc, struct sv_parser *p, struct sv_gr_top *top,
		       const char *msg)
{
	(void)top;
	if (strcmp(msg, "memory exhausted") == 0)
		msg = "script too complex";
	sv_diag_error(p->diags, *lloc, "%s", msg);
}

/* NULL (a command lost to error recovery) is skipped. */
static void top_add(struct sv_gr_top *top, struct sv_ast_node *n)
{
	if (!n)
		return;
	if (top->tail)
		top->tail->next = n;
	else
		top->head = n;
	top->tail = n;
	top->n++;
}

static bool ieq_word(const char *s, size_t len, const char *w)
{
	size_t i = 0;
	for (; i < len && w[i]; i++)
		if ((s[i] | 0x20) != w[i])
			return false;
	return i == len && !w[i];
}

/* A top-level command named id starts: the commands before it are
 * complete unless it continues an if (RFC 5228 §3.1). */
static void top_boundary(struct sv_parser *p, struct sv_gr_top *top, struct sv_lex_text id)
{
	if (ieq_word(id.s, id.len, "elsif") || ieq_word(id.s, id.len, "else"))
		return;
	top->flush(top, p, false);
	top->head = top->tail = NULL;
	top->n = 0;
}

/* An identifier or tag copied into the arena: as written, or (p->fold,
 * the compiler's streaming mode) lowercased as the validator wants it
 * (RFC 5228 §8.1: they are case-insensitive; identifiers are ASCII). */
static const char *id_copy(struct sv_parser *p, struct sv_lex_text t)
{
	if (!p->fold)
		return sv_arena_strndup(p->arena, t.s, t.len);
	size_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* eight bytes at a time while they lie in the source (the bytes after
	 * the word are transformed too, then overwritten or ignored: the
	 * word's bytes are ASCII, so no carry leaves them) */
	char *d = sv_arena_alloc_nozero(p->arena, (t.len + 8) & ~(size_t)7);
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	for (; i < t.len && p->lx.lim - (t.s + i) >= 8; i += 8) {
		uint64_t w;
		memcpy(&w, t.s + i, 8);
		uint64_t up = (w + ones * (0x80 - 'A')) & ~(w + ones * (0x80 - 'Z' - 1)) & high;
		w |= up >> 2;
		memcpy(d + i, &w, 8);
	}
#else
	char *d = sv_arena_alloc_nozero(p->arena, t.len + 1);
#endif
	for (; i < t.len; i++) {
		unsigned char c = (unsigned char)t.s[i];
		d[i] = (char)(c | ((unsigned char)(c - 'A') < 26) << 5);
	}
	d[t.len] = '\0';
	return d;
}

static struct sv_ast_node *new_node(struct sv_parser *p, struct sv_lex_text id,
				    struct sv_loc loc)
{
	struct sv_ast_node *n = sv_arena_alloc_nozero(p->arena, sizeof *n);
	*n = (struct sv_ast_node){.loc = loc};
	n->id = id_copy(p, id);
	return n;
}

/* What stands for a command lost to error recovery (ast.h: broken): the
 * validator says nothing more about it, and knows a lost require. */
static struct sv_ast_node *lost_node(struct sv_parser *p, struct sv_loc loc)
{
	struct sv_ast_node *n = sv_arena_alloc_nozero(p->arena, sizeof *n);
	*n = (struct sv_ast_node){.loc = loc, .broken = true, .id = ""};
	struct sv_ast_node *c = p->last_cmd;
	if (c && c->end.line == 0)
		n->id = c->id;
	p->last_cmd = NULL;
	return n;
}

static bool enter(struct sv_parser *p, struct sv_loc loc)
{
	if (++p->depth > p->max_depth) {
		sv_diag_error(p->diags, loc, "nesting too deep (more than %u levels)",
			      p->max_depth);
		p->too_deep = true;
		return false;
	}
	return true;
}

static void nodes_init(struct sv_gr_nodes *l)
{
	l->head = l->tail = NULL;
	l->n = 0;
}

/* NULL (a command lost to error recovery) is skipped. */
static void nodes_add(struct sv_gr_nodes *l, struct sv_ast_node *n)
{
	if (!n)
		return;
	if (l->tail)
		l->tail->next = n;
	else
		l->head = n;
	l->tail = n;
	l->n++;
}

static struct sv_ast_arg *arglist_link(struct sv_ast_node *n, struct sv_ast_arg *last,
				       struct sv_ast_arg *a)
{
	if (last)
		last->next = a;
	else
		n->args = a;
	n->nargs++;
	return a;
}

static struct sv_ast_str make_str(const struct sv_lex_str *s, struct sv_loc loc)
{
	struct sv_ast_str r = {s->s, s->len, loc, s->multiline};
	return r;
}

/* How a token reads in a message: "identifier 'foo'", "';'", "end of
 * file". */
static void describe_token(struct sv_parser *p, yysymbol_kind_t sym, struct sv_buf *b)
{
	switch (sym) {
	case YYSYMBOL_IDENT:
		sv_buf_puts(b, "identifier '");
		sv_buf_put_sanitized(b, p->lx.tok, p->lx.toklen, 40);
		sv_buf_putc(b, '\'');
		break;
	case YYSYMBOL_TAG:
		sv_buf_puts(b, "tag '");
		sv_buf_put_sanitized(b, p->lx.tok, p->lx.toklen, 40);
		sv_buf_putc(b, '\'');
		break;
	default:
		sv_buf_puts(b, yysymbol_name(sym));
		break;
	}
}

/* Tokens that end or separate something: when too many tokens would do,
 * the message names only these (the likely omission). */
static bool is_closer(yysymbol_kind_t sym)
{
	switch (sym) {
	case YYSYMBOL_YYEOF:
		return false;
	default: {
		const char *name = yysymbol_name(sym);
		return strcmp(name, "';'") == 0 || strcmp(name, "'{'") == 0 ||
		       strcmp(name, "','") == 0 || strcmp(name, "')'") == 0 ||
		       strcmp(name, "']'") == 0 || strcmp(name, "'}'") == 0;
	}
	}
}

/* gcc-style: "syntax error: unexpected '}', expecting ';' or '{'". */
static int yyreport_syntax_error(const yypcontext_t *ctx, struct sv_parser *p,
				 struct sv_gr_top *top)
{
	(void)top;
	yysymbol_kind_t la = yypcontext_token(ctx);
	/* the lexer already said why the script ended early */
	if (la == YYSYMBOL_YYEOF && p->lx.hit_eof_error)
		return 0;

	yysymbol_kind_t exp[YYNTOKENS];
	int n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
	if (n < 0)
		n = 0;
	if (n > 4) {
		int k = 0;
		for (int i = 0; i < n; i++)
			if (is_closer(exp[i]))
				exp[k++] = exp[i];
		n = k;
	}

	struct sv_buf b = SV_BUF_INIT;
	sv_buf_puts(&b, "syntax error");
	if (la != YYSYMBOL_YYEMPTY) {
		sv_buf_puts(&b, ": unexpected ");
		describe_token(p, la, &b);
	}
	for (int i = 0; i < n; i++) {
		sv_buf_puts(&b, i == 0 ? ", expecting " : i == n - 1 ? " or " : ", ");
		sv_buf_puts(&b, yysymbol_name(exp[i]));
	}
	sv_diag_error(p->diags, *yypcontext_location(ctx), "%s", b.p);
	sv_buf_free(&b);
	return 0;
}

int sv_grammar_parse(struct sv_parser *p)
{
	struct sv_gr_top top = {0};
	return sv_yyparse(p, &top);
}

int sv_grammar_parse_top(struct sv_parser *p, struct sv_gr_top *top)
{
	return sv_yyparse(p, top);
}
