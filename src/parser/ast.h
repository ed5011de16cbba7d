/*
 * ast.h: the syntax tree of a Sieve script (RFC 5228 §8.2 generic grammar).
 *
 * The parser knows no command: every command and test is an identifier with
 * arguments, an optional test or test list, and an optional block. Meaning
 * comes later, from the extension registry (validate.h). All nodes live in
 * the compile arena and die with it.
 */
#ifndef SV_AST_H
#define SV_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/diag.h"

/* One string: its bytes after escape processing (quoted strings) or
 * dot-unstuffing (text: strings); NUL-terminated for convenience, but len
 * counts. */
struct sv_ast_str {
	char *s;
	size_t len;
	struct sv_loc loc;
	bool multiline; /* written as text: ... */
};

enum sv_ast_arg_kind {
	SV_AST_NUMBER,  /* 10, 5K */
	SV_AST_STRING,  /* "x" or text: */
	SV_AST_STRLIST, /* ["a", "b"] (a list of one is still a list) */
	SV_AST_TAG,     /* :name */
};

struct sv_ast_arg {
	enum sv_ast_arg_kind kind;
	struct sv_loc loc;
	struct sv_ast_arg *next;
	uint64_t num;           /* NUMBER: value with the quantifier applied */
	const char *tag;        /* TAG: the name without ':' */
	struct sv_ast_str *strs; /* STRING: one; STRLIST: nstrs */
	size_t nstrs;
};

struct sv_ast_node {
	const char *id;         /* identifier as written */
	struct sv_loc loc;      /* of the identifier */
	struct sv_ast_arg *args; /* in order; linked by next */
	size_t nargs;
	struct sv_ast_node *tests; /* test or test list; linked by next */
	size_t ntests;
	bool test_list;         /* tests were written in parentheses */
	struct sv_ast_node *block; /* commands of the block; linked by next */
	size_t nblock;
	bool has_block;         /* a block was written (it may be empty) */
	struct sv_ast_node *next;
	struct sv_loc end;      /* of the ';' or the closing '}' */
	bool broken;            /* a command lost to a syntax error (error recovery
				   in grammar.y): id is its identifier when it was
				   read, else ""; nothing else is set */

	/* Set by the validator. */
	const void *def;        /* the command's or test's descriptor */
	void *vdata;            /* the validator's notes for codegen */
	bool skip;              /* dead: not generated (and, behind a missing
				   capability, not validated either) */
	bool chain_true;        /* if/elsif: this link or an earlier one of its
				   chain is constant true (later links are dead) */
	bool chain_guard;       /* chain_true because a capability is missing
				   (ihave): later links are not even validated */
};

struct sv_ast {
	struct sv_ast_node *commands; /* linked by next */
	size_t ncommands;
	const char *file;
	const char *src;
	size_t srclen;
};

struct sv_parse_options {
	unsigned max_nesting; /* 0: limits.h default */
	/* Quoted strings (by the offset of their opening quote) to be read as
	 * unterminated: ended at their line's end (lex.h, cut). */
	const size_t *cut;
	size_t ncut;
	/* Out (may be NULL): 1 + the offset of the first quoted string that
	 * ran over lines and was closed, when a later one ran to the end of
	 * the script unterminated; else 0. */
	size_t *runaway_r;
};

/*
 * Parse a script. Reports every lexical and syntax error it can find (error
 * recovery at command and block level) into diags. Returns the tree, or NULL
 * when there were errors. The tree points into arena; src must outlive it.
 */
struct sv_ast *sv_parse(struct sv_arena *arena, const char *file, const char *src,
			size_t srclen, const struct sv_parse_options *opts,
			struct sv_diags *diags);

/* Constructors used by the grammar. */
struct sv_ast_node *sv_ast_new_node(struct sv_arena *a, const char *id, size_t idlen,
				    struct sv_loc loc);
struct sv_ast_arg *sv_ast_new_arg(struct sv_arena *a, enum sv_ast_arg_kind kind,
				  struct sv_loc loc);

/* Print the tree in a stable, indented form (for tests and debugging). */
struct sv_buf;
void sv_ast_print(const struct sv_ast *ast, struct sv_buf *out);

#endif
