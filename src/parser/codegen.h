/*
 * codegen.h: emits bytecode for a validated tree (DESIGN.md §1): one
 * instruction per command or test, tests compiled to conditional jumps
 * (allof/anyof/not short-circuit with no instruction of their own),
 * deduplicated constant pool, line table.
 */
#ifndef SV_CODEGEN_H
#define SV_CODEGEN_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"
#include "parser/ast.h"
#include "parser/validate.h"

struct sv_codegen;

/*
 * Generation in pieces, for the compiler's streaming mode: begin once the
 * requires are validated, hand over the validated top-level commands in
 * order (an if never apart from its elsif and else), finish with the
 * binary (out NULL: abandon).
 */
struct sv_codegen *sv_codegen_begin(struct sv_validator *v, size_t srclen,
				    struct sv_diags *diags);
void sv_codegen_top(struct sv_codegen *g, struct sv_ast_node *list);
bool sv_codegen_finish(struct sv_codegen *g, const char *name, uint64_t src_hash, uint64_t fingerprint,
		       struct sv_buf *out, struct sv_diags *diags);

/* For custom generate hooks. */
void sv_cg_op(struct sv_codegen *g, const struct sv_ext_def *ext, unsigned op, unsigned line);
void sv_cg_varint(struct sv_codegen *g, uint64_t v);
void sv_cg_string(struct sv_codegen *g, const struct sv_ast_str *s);
void sv_cg_string_lit(struct sv_codegen *g, const char *p, size_t len);
void sv_cg_list(struct sv_codegen *g, const struct sv_ast_arg *a);
void sv_cg_optionals(struct sv_codegen *g, struct sv_ast_node *cmd);
int sv_cg_slot(struct sv_codegen *g, const struct sv_ext_def *ext);
struct sv_validator *sv_cg_validator(struct sv_codegen *g);
/* Emit the generic form of a command (the default when no hook). */
void sv_cg_generic(struct sv_codegen *g, struct sv_ast_node *cmd);

/* Blocks and forward jumps for commands with a block (the test suite's
 * "test"): sv_cg_offset before sv_cg_op gives the instruction start;
 * sv_cg_jump_reserve emits a 'j' operand to patch later; sv_cg_jump_patch
 * points it (of the instruction at insn) at the current offset. */
size_t sv_cg_offset(struct sv_codegen *g);
size_t sv_cg_jump_reserve(struct sv_codegen *g);
void sv_cg_jump_patch(struct sv_codegen *g, size_t at, size_t insn);
void sv_cg_block(struct sv_codegen *g, struct sv_ast_node *block);

#endif
