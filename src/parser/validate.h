/*
 * validate.h: gives the generic syntax tree its meaning from the extension
 * registry (DESIGN.md §1, §2): require, commands and tests, argument
 * signatures, tagged arguments, match types, comparators, address parts,
 * literal values, constant-false blocks, variables (RFC 5229) and
 * encoded-character (RFC 5228 §2.4.2.4).
 */
#ifndef SV_VALIDATE_H
#define SV_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "ext/registry.h"
#include "lib/arena.h"
#include "lib/diag.h"
#include "lib/limits.h"
#include "parser/ast.h"

/* A tagged argument as validated. */
struct sv_vtag {
	const struct sv_tag_def *def;   /* NULL for the comparator/match/address families */
	const struct sv_ext_def *ext;   /* extension defining the tag */
	struct sv_ast_arg *tag, *value;
	char family;                    /* 'c', 'm', 'a', or 0 */
	const struct sv_ext_def *fext;  /* extension of the comparator/match type/part */
	unsigned fidx;
	unsigned rel;                   /* relation of relational match types */
};

#define SV_MAX_TAGS 16

/* What the validator learnt about one command or test (ast node vdata). */
struct sv_vnode {
	const struct sv_ext_def *ext;
	const struct sv_cmd_def *cmd;
	struct sv_vtag *tags;           /* one per tagged argument written */
	size_t ntags, captags;
	struct sv_ast_arg *pos[8];
	size_t npos;
	void *data;                     /* the command's own notes */
	/* A test: the extensions it makes available in the block it guards
	   when true (ihave, RFC 5463 §4), set by its validate hook. */
	struct sv_ext_def **implies;
	size_t nimplies;
};

/* What entering a block guarded by a test with implied extensions
 * changed, to be undone on leaving it (validator and code generator). */
struct sv_vscope {
	bool *enabled;
	size_t norder;
	bool templates, encoded_chars;
	bool active;
};

struct sv_validator {
	struct sv_arena *arena;
	struct sv_diags *diags;
	const struct sv_settings *settings;
	const char *file;
	bool *enabled;                  /* by registry index */
	const struct sv_ext_def **order; /* enabled extensions, in require order */
	size_t norder;
	const char *const *offered;     /* hidden extensions this program offers */
	bool templates;                 /* strings carry ${...} references */
	bool encoded_chars;             /* encoded-character is required */
	/* variables: lowercased names, slot = index */
	char **vars;
	size_t nvars, capvars;
	/* names stored under another variable's name (include's global
	   command: x is "global.x"), lowercased, in pairs */
	char **aliases;
	size_t naliases, capaliases;
	/* state while walking */
	bool seen_non_require;
	bool lost_require;              /* a require was lost to a syntax error:
					   what it enabled is unknown, so no
					   command or tag is said to need one */
	struct sv_ast_node *prev;       /* previous command at this level */
	unsigned depth;
};

struct sv_validate_options {
	const struct sv_settings *settings;
	/* hidden extensions this program offers (e.g. the test suite) */
	const char *const *extra;
};

void sv_validator_free(struct sv_validator *v);
/*
 * Validation in pieces, as the compiler streams: the top-level commands
 * are handed over in order, a few at a time (an if never apart from its
 * elsif and else). Errors of encoded-character decoding, which come before
 * all others, go to decode_diags, the others to v->diags. Identifiers and
 * tags must already be lowercased, as the streaming parser (sv_parse_top)
 * produces them (RFC 5228 §8.1).
 */
bool sv_validate_begin(struct sv_validator *v, const struct sv_validate_options *o);
void sv_validate_top(struct sv_validator *v, struct sv_ast_node *list,
		     struct sv_diags *decode_diags);


bool sv_validator_has(const struct sv_validator *v, const struct sv_ext_def *e);
void sv_validator_error(struct sv_validator *v, struct sv_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sv_validator_warning(struct sv_validator *v, struct sv_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* User data for a message: control characters and bad UTF-8 escaped, cut
 * at 64 bytes with "..." (STYLE.md); lives in the compile arena. */
const char *sv_validator_quote(struct sv_validator *v, const char *s, size_t len);
/* The slot of a variable name (created on first use); -1 when the script
 * already has as many variables as allowed (an error is reported). */
int sv_validator_var(struct sv_validator *v, const char *name, size_t len, struct sv_loc loc);
/* Is the name a variable the script has already used (a slot exists)? */
bool sv_validator_var_known(const struct sv_validator *v, const char *name, size_t len);
/* From now on the variable name is stored under target (lowercased):
 * ${name} and set "name" reach target's slot. */
void sv_validator_var_alias(struct sv_validator *v, const char *name, size_t len,
			    const char *target, size_t tlen);
/* Is name a variable set may assign: an identifier, or ns.name of a
 * namespace of variables (registry.h) the script required? */
bool sv_validator_assignable(const struct sv_validator *v, const char *name, size_t len);
/* Would require accept this capability here (known and offered)? */
bool sv_validator_offers(const struct sv_validator *v, const char *name, size_t len);
/* Enable an extension as require does (ihave's block, RFC 5463 §4). */
void sv_validator_enable(struct sv_validator *v, struct sv_ext_def *e);

/* Enter the block of an if or elsif whose test is t: the extensions t
 * implies (directly, or through allof) are enabled until leave. */
void sv_validator_scope_enter(struct sv_validator *v, const struct sv_ast_node *t,
			      struct sv_vscope *sc);
void sv_validator_scope_leave(struct sv_validator *v, struct sv_vscope *sc);
/* The value of a test known at compile time: 1 true, 0 false, -1 not
 * known (true, false, not, allof, anyof, and tests with const_eval). */
int sv_validator_const_value(struct sv_validator *v, const struct sv_ast_node *t);

/* Notes of a node. */
static inline struct sv_vnode *sv_vnode(const struct sv_ast_node *n)
{
	return (struct sv_vnode *)n->vdata;
}
/* The validated tag of a command by name, or NULL. */
struct sv_vtag *sv_vnode_tag(struct sv_ast_node *n, const char *name);

/* Template scanning (RFC 5229 §3). Calls out for each piece of s: literal
 * text, variable names (with namespace), and match-variable numbers. Returns
 * false (with err) when a reference is malformed in a way that is an error
 * (unknown namespace, number too large). */
struct sv_tpl_visitor {
	void (*lit)(void *ctx, const char *p, size_t len);
	void (*var)(void *ctx, const char *name, size_t len);
	void (*match)(void *ctx, unsigned idx);
	void (*ns)(void *ctx, const struct sv_ext_def *ext, unsigned nsidx,
		   const struct sv_namespace_def *ns, const char *name, size_t len);
	void *ctx;
};
bool sv_tpl_scan(const struct sv_validator *v, const char *s, size_t len,
		 const struct sv_tpl_visitor *vis, struct sv_buf *err);
/* Is name a valid variable name for set (identifier, or ns.name of an
 * assignable namespace)? */
bool sv_var_name_valid(const char *s, size_t len);

#endif
