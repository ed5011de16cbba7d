/*
 * registry.h: extension descriptors and the registry derived from them
 * (DESIGN.md §2).
 *
 * Every extension, the core language included, is one static descriptor
 * (struct sv_ext_def) in src/ext/<name>.c, listed once in ext-list.def. A
 * descriptor declares its commands and tests, the tagged arguments it
 * defines (its own or attached to other extensions' commands), the
 * operations it executes, and the match types, comparators and address
 * parts it adds. The validator, the code generator, the verifier, the
 * disassembler and the VM are all driven from these tables.
 *
 * Operand signatures (one character per operand, in order):
 *   n  number (unsigned LEB128)
 *   s  string (constant-pool index of a string or template)
 *   l  string list (constant-pool index of a list)
 *   j  jump (signed offset from the start of this instruction)
 *   v  variable slot
 *   x  optional operands (must be last): a count, then (ext slot, id,
 *      value) triples whose value kind comes from that extension's opt_kinds
 *
 * Optional operand kinds (sv_ext_def.opt_kinds, indexed by id):
 *   f flag (no value)  n number  s string  l string list
 *   c comparator (ext slot, index)  m match type (ext slot, index, relation)
 *   a address part (ext slot, index)
 */
#ifndef SV_REGISTRY_H
#define SV_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/diag.h"
#include "lib/limits.h"
#include "lib/status.h"

struct sv_ext_def;
struct sv_vm;
struct sv_insn;
struct sv_validator;
struct sv_ast_node;
struct sv_settings;
struct sv_ast_arg;
struct sv_codegen;
struct sv_match_state;

enum sv_cmd_kind { SV_CMD_COMMAND, SV_CMD_TEST };

enum sv_subtests { SV_SUBTESTS_NONE, SV_SUBTESTS_ONE, SV_SUBTESTS_LIST };
enum sv_block_rule { SV_BLOCK_NONE, SV_BLOCK_REQUIRED };

/* Command flags */
#define SV_CMDF_COMPARATOR 0x01u /* accepts :comparator */
#define SV_CMDF_MATCH 0x02u      /* accepts match types */
#define SV_CMDF_ADDRPART 0x04u   /* accepts address parts */
#define SV_CMDF_MATCHING (SV_CMDF_COMPARATOR | SV_CMDF_MATCH)
#define SV_CMDF_CONTROL 0x08u    /* handled by the code generator itself */
#define SV_CMDF_TOPLEVEL 0x10u   /* only at the top level of a script */

/* Optional-operand ids of the core descriptor, shared by every matching
 * command (the comparator/match type/address part families). */
enum { SV_OPT_COMPARATOR = 0, SV_OPT_MATCH = 1, SV_OPT_ADDRPART = 2 };

/* A tagged argument. */
struct sv_tag_def {
	const char *name;  /* without ':' */
	char value;        /* 0 (none), 'n', 's', 'l' */
	uint8_t opt;       /* optional-operand id in the defining extension */
	uint8_t group;     /* nonzero: at most one tag of this group per command */
	/* Tags attached to commands of other extensions list them here
	 * ("redirect", "fileinto"); NULL for a command's own tags. */
	const char *const *attach;
	/* Extra check of the tag and its value (may be NULL). */
	bool (*validate)(struct sv_validator *v, struct sv_ast_node *cmd,
			 struct sv_ast_arg *tag, struct sv_ast_arg *value);
};

struct sv_cmd_def {
	const char *id;
	enum sv_cmd_kind kind;
	const char *sig;        /* positional operands: 's', 'l' (also accepts a
				   single string), 'n'; optional ones after '?' */
	enum sv_subtests subtests;
	enum sv_block_rule block;
	unsigned flags;         /* SV_CMDF_* */
	const struct sv_tag_def *tags; /* own tags, ended by {NULL} */
	uint16_t op;            /* local operation index in its extension */
	/* Extra validation after the generic checks (may be NULL). */
	bool (*validate)(struct sv_validator *v, struct sv_ast_node *cmd);
	/* Custom generation (may be NULL: the generic one emits op with the
	 * positional arguments then the optional block). */
	void (*generate)(struct sv_codegen *g, struct sv_ast_node *cmd);
	/* A test whose value is known at compile time (ihave): 1 true, 0
	 * false, -1 not known (may be NULL). Called after the test was
	 * validated; a block under a constant-false test is neither
	 * validated nor generated, and a constant test emits no code. */
	int (*const_eval)(struct sv_validator *v, const struct sv_ast_node *t);
};

/* Decoded operands of one instruction (see vm.h). */
struct sv_operands;

struct sv_op_def {
	const char *mnemonic;
	const char *sig;
	enum sv_status (*exec)(struct sv_vm *vm, const struct sv_operands *ops);
	/* Extra verification of decoded operands (may be NULL). */
	bool (*verify)(const struct sv_operands *ops, struct sv_buf *err);
	bool is_test;           /* sets the test result */
};

/* Comparators (RFC 4790). */
struct sv_cmp_def {
	const char *name;
	/* equality and ordering; returns <0, 0, >0 */
	int (*compare)(const char *a, size_t alen, const char *b, size_t blen);
	/* substring search (NULL: the comparator offers none, RFC 4790 §4.2) */
	bool (*contains)(const char *hay, size_t hlen, const char *needle, size_t nlen);
	/* character equality for :matches (NULL: no :matches) */
	bool (*char_eq)(unsigned char a, unsigned char b);
	/* 1: keys can be hashed after folding with fold (NULL: no hashing) */
	unsigned char (*fold)(unsigned char c);
	/* A comparator that compares prepared strings (RFC 4790 §4.1, such as
	 * i;unicode-casemap, RFC 5051 §2) sets canon: the matching core then
	 * gives compare, contains, char_eq and fold canonical forms only (a
	 * literal key's once, a value's as it comes). canon appends the
	 * canonical form of s to out and, when units is not NULL, one octet
	 * per octet of it: 1 where the form of a character of s begins (what
	 * a '?' of :matches takes); SV_LIMIT when the form would pass max
	 * octets. NULL: strings are compared as they are. */
	enum sv_status (*canon)(const char *s, size_t len, size_t max, struct sv_buf *out,
				struct sv_buf *units);
	/* With canon: the offsets in s that n offsets off of its canonical
	 * form come from (rounded to a character: down, or up when end[k]),
	 * so that match variables hold the value's own text. off is in
	 * ascending order and is mapped in place, in one pass over s (a
	 * value can be as long as a message, and :matches has up to 63
	 * captures). */
	void (*canon_offsets)(const char *s, size_t len, size_t *off, const bool *end, size_t n);
};

/* Match types. */
struct sv_match_def {
	const char *name;
	bool relation;  /* takes a relation argument ("gt", ...) */
	bool count;     /* compares the number of values (relational :count) */
	bool needs_contains; /* comparator must offer substring search */
	bool needs_glob;     /* comparator must offer char_eq */
	bool captures;  /* sets match variables */
	/* the comparators it may be used with (NULL-terminated; NULL: any
	   that offers what it needs) */
	const struct sv_cmp_def *const *comparators;
	/* Compile-time check of a literal key (NULL: none); settings give
	   its budgets (never NULL). */
	bool (*check_key)(const char *key, size_t len, const struct sv_settings *settings,
			  struct sv_buf *err);
	/* Prepare one key (NULL: none); state is kept per instruction.
	   settings: the run's (NULL: defaults). */
	enum sv_status (*prepare)(const char *key, size_t len, const struct sv_cmp_def *cmp,
				  const struct sv_settings *settings, void **state_r,
				  struct sv_buf *err);
	void (*release)(void *state);
	/* Does value match key? May record captures into ms (when non-NULL). */
	bool (*match)(const struct sv_cmp_def *cmp, unsigned rel, const char *val, size_t vlen,
		      const char *key, size_t klen, void *state, struct sv_match_state *ms);
	/* After match said no for the key with this prepared state: SV_OK
	   when the value did not match, else why matching could not be done
	   (reason in err): the test fails with a runtime error (NULL:
	   matching cannot fail). */
	enum sv_status (*match_error)(void *state, struct sv_buf *err);
};

/* Address parts (RFC 5228 §2.7.4, RFC 5233). */
struct sv_addr;
struct sv_addrpart_def {
	const char *name;
	/* Extract the part; false when the address has none (it then does
	 * not match). settings give the recipient delimiter. */
	bool (*extract)(struct sv_vm *vm, const struct sv_addr *a, const char **p_r,
			size_t *len_r);
};

/* Namespaces of variables (RFC 5229 §3): ${ns.name}. */
struct sv_namespace_def {
	const char *name;
	/* Compile-time check of a name; false with a reason when invalid. */
	bool (*check)(const char *name, size_t len, bool assign, struct sv_buf *err);
	/* Runtime value of a name. */
	bool (*get)(struct sv_vm *vm, const char *name, size_t len, struct sv_buf *out);
	/* Names in it are variables of the script ("global.x", RFC 6609
	 * §3.5): the validator gives ns.name a variable slot of that name,
	 * which set may assign; get is then not used. */
	bool variables;
};

struct sv_action;

/* Items of the environment test (RFC 5183 §4): any extension may add some
 * (the environment extension has the standard ones). get writes the value
 * and returns true, or returns false when the item does not exist here
 * (the test then fails for every key, §4). */
struct sv_env_item_def {
	const char *name; /* compared exactly */
	bool (*get)(struct sv_vm *vm, struct sv_buf *out);
};

/* Parts of the envelope test (RFC 5228 §5.4): any extension may add some
 * (the envelope extension has "from", "to" and "auth"; RFC 6009 adds
 * more). Names compare case-insensitively. get gives the part's value in
 * this delivery (NULL: none, and the part matches nothing); a part that
 * is an RFC 5321 path is matched as an address (address parts apply),
 * with reverse_path the null path "<>" is the empty string. */
struct sv_envpart_def {
	const char *name;
	const char *(*get)(struct sv_vm *vm);
	bool path;
	bool reverse_path;
};

/* Modifiers of the variables extension's set command (RFC 5229 §4.1): any
 * extension may add one (regex adds :quoteregex) as a tag attached to "set"
 * with this optional id; set applies them from the highest precedence down,
 * and two of the same precedence may not be given together. */
struct sv_modifier_def {
	const char *name;
	unsigned precedence;
	uint8_t opt;            /* the tag's optional id in its extension */
	void (*apply)(struct sv_buf *value); /* rewrites the value in place */
};

struct sv_ext_def {
	const char *name;       /* capability string */
	const char *const *implies; /* capabilities required with it, or NULL */
	bool always;            /* enabled without require (core) */
	bool hidden;            /* only offered where a program enables it */
	const struct sv_cmd_def *commands;   /* ended by {NULL} */
	const struct sv_tag_def *tags;       /* tags attached to other commands */
	const struct sv_op_def *ops;         /* indexed by local op; ended by {NULL} */
	const char *opt_kinds;               /* kinds of optional ids, by id */
	const char *const *opt_names;        /* names of optional ids, for dumps */
	const struct sv_match_def *const *match_types; /* NULL-terminated */
	const struct sv_cmp_def *const *comparators;
	const struct sv_addrpart_def *const *addrparts;
	const struct sv_namespace_def *const *namespaces;
	const struct sv_modifier_def *const *modifiers; /* set modifiers */
	/* Settings the extension declares (limits.h rows; ended by a row with
	 * a NULL key): -o, sift.conf and `sievec --settings` take them as
	 * they take the core's. Read them with sv_ext_setting(). */
	const struct sv_setting_info *settings;
	/* Items the environment test offers (NULL-terminated; may be NULL). */
	const struct sv_env_item_def *const *env_items;
	/* Parts the envelope test offers (NULL-terminated; may be NULL). */
	const struct sv_envpart_def *const *envelope_parts;
	/* Called when the capability is required (may be NULL). */
	bool (*on_require)(struct sv_validator *v);
	/* Called when a run ends without error, before the result is final
	 * (imap4flags hands the implicit keep its flags here; may be NULL).
	 * A status other than SV_OK is a runtime error of the run (with
	 * sv_vm_error's text when the hook set one). */
	enum sv_status (*on_run_end)(struct sv_vm *vm);
	/* Adds what its tags say to an action another command records
	 * (:copy, :flags; may be NULL). A status other than SV_OK stops the
	 * run: the action is not recorded. */
	enum sv_status (*decorate_action)(struct sv_vm *vm, const struct sv_operands *ops,
					  struct sv_action *a);
	/* Frees the extension's per-run state (may be NULL). */
	void (*free_state)(void *state);
	/* Frees the extension's per-message state, kept in the run context
	 * across the scripts of a delivery (may be NULL). */
	void (*free_message_state)(void *state);
	/* Per-extension index in the registry, set at start-up. */
	unsigned index;
	/* The settings id of its first setting, set at start-up. */
	int settings_base;
};

/* The registry: every descriptor of ext-list.def. */
#define SV_EXT(sym) extern struct sv_ext_def sym;
#include "ext/ext-list.def"
#undef SV_EXT

size_t sv_ext_count(void);
struct sv_ext_def *sv_ext_at(size_t i);
struct sv_ext_def *sv_ext_find(const char *name, size_t len);
/* The core descriptor (always slot 0 of every binary). */
struct sv_ext_def *sv_ext_core(void);

/* The capabilities a script may require (every extension but the core and
 * those only a program enables), separated by spaces, in registry order:
 * what sievec --capabilities prints and ManageSieve advertises. */
void sv_ext_capabilities(struct sv_buf *out);

/* The envelope part called name among every extension's, or NULL;
 * *ext_r (may be NULL) gets the extension that offers it, which a script
 * must require to name the part. */
const struct sv_envpart_def *sv_ext_find_envpart(const char *name, size_t len,
                                                 const struct sv_ext_def **ext_r);

/* Find a comparator among all extensions; *ext_r gets its extension. */
const struct sv_cmp_def *sv_ext_find_comparator(const char *name, size_t len,
						 struct sv_ext_def **ext_r, unsigned *idx_r);

/* The settings id of an extension's setting number local (its row in
 * e->settings), and its value in s (NULL: the default). */
int sv_ext_setting_id(const struct sv_ext_def *e, unsigned local);
uint64_t sv_ext_setting(const struct sv_settings *s, const struct sv_ext_def *e, unsigned local);

/* The host's name as the mail extensions generate names it (Message-ID,
 * Reporting-UA): gethostname(), "localhost" when there is none or it is
 * no plain DNS name. size must be at least 10. */
void sv_ext_host_name(char *out, size_t size);

/* Check the descriptors (unique names, parsable signatures); returns the
 * number of problems, each described in out. */
size_t sv_ext_self_check(struct sv_buf *out);

/* Relations of RFC 5231. */
enum sv_relation { SV_REL_NONE, SV_REL_GT, SV_REL_GE, SV_REL_LT, SV_REL_LE, SV_REL_EQ, SV_REL_NE };
int sv_relation_parse(const char *s, size_t len); /* -1 when invalid */
const char *sv_relation_name(unsigned rel);
bool sv_relation_holds(unsigned rel, int cmp);

#endif
