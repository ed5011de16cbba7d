/*
 * lex.h: the internal interface between the re2c lexer (lexer.re) and the
 * bison grammar (grammar.y). Not installed; only the parser uses it (and the
 * lexer's unit tests).
 *
 * RFC 5228 §8.1 (lexical tokens), §2.4 (literal data), §2.3 (comments).
 */
#ifndef SV_LEXER_H
#define SV_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/diag.h"
#include "parser/ast.h"
#include "parser/grammar.h"

/*
 * All the lexer's state (reentrant: no globals). The source is a byte
 * buffer with a length; it need not be NUL-terminated and may contain NUL
 * bytes (they are errors).
 */
struct sv_lexer {
	const char *src;        /* whole script */
	const char *cur;        /* next byte to scan */
	const char *lim;        /* src + srclen: never read at or past it */
	struct sv_arena *arena; /* decoded strings are copied here */
	struct sv_diags *diags;

	/* Position bookkeeping: line and column of byte pos (lazily advanced,
	 * so every byte is visited once). Columns count code points. */
	const char *pos;
	unsigned line, col;

	/* The last token returned (the parser's lookahead when it reports a
	 * syntax error): its raw bytes. */
	const char *tok;
	size_t toklen;

	/* An unterminated string, comment or text: ran to the end of the
	 * script (the parser then does not also report the early end). */
	bool hit_eof_error;

	/* A quoted string left unclosed in the middle of a script runs on to
	 * the next '"', and every string after it is read inside out, to an
	 * unterminated one at the end. So the first closed string that ran
	 * over lines is noted (1 + offset, 0: none), and when the last one
	 * runs to the end, the compiler reads the script again with the
	 * noted one in cut: ended at its line's end, reported unterminated. */
	size_t first_multiline;
	bool quote_at_eof;
	const size_t *cut;
	size_t ncut;
};

/* Start lexing src[0..len). Errors go to diags; strings to arena. */
void sv_lex_init(struct sv_lexer *lx, const char *src, size_t len, struct sv_arena *arena,
		 struct sv_diags *diags);

/*
 * The next token: one of the SV_TOK_* codes of grammar.h, a punctuation
 * character (';' ',' '(' ')' '[' ']' '{' '}'), or SV_TOK_YYEOF at the end.
 * Lexical errors are reported to diags and skipped: the lexer never
 * returns an error token, so a bad string does not also make a syntax
 * error. Values:
 *   SV_TOK_IDENT, SV_TOK_TAG: lval->text (points into src; a tag without
 *                             its ':')
 *   SV_TOK_NUMBER:            lval->num (quantifier applied)
 *   SV_TOK_STRING:            lval->str (decoded, NUL-terminated, in arena)
 * loc: line, column (code points, from 1) and width (code points on the
 * token's first line, at least 1).
 */
int sv_lex_next(struct sv_lexer *lx, SV_YYSTYPE *lval, SV_YYLTYPE *loc);

/* The parser's state, shared with the grammar's actions. */
struct sv_parser {
	struct sv_lexer lx;
	struct sv_arena *arena;
	struct sv_diags *diags;
	struct sv_ast *ast;
	unsigned depth, max_depth; /* current and allowed nesting */
	bool too_deep;             /* the nesting error was reported */
	struct sv_ast_node *last_cmd; /* the command whose identifier was read
				      last (its end is unset until it is
				      complete) */
	bool fold;                 /* lowercase identifiers and tags as they are
				      read (the compiler's streaming mode: the
				      validator then need not fold them) */
};

/* Run the bison parser over p (set up by sv_parse). 0 on success. */
int sv_grammar_parse(struct sv_parser *p);

#endif
