/*
 * vm.h: the virtual machine that runs verified bytecode against one message
 * and one envelope (DESIGN.md §1), and the interface extension operations
 * use to read their operands and the message.
 */
#ifndef SV_VM_H
#define SV_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ext/registry.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/status.h"
#include "vm/binary.h"

struct sv_msg;
struct sv_mime_part;
struct sv_result;
struct sv_run; /* the delivery this run belongs to (delivery/run.h) */

/* The envelope of one delivery (RFC 5228 §5.4). NUL-terminated strings;
 * from "" is the null sender; NULL means unknown. */
struct sv_envelope {
	const char *from;
	const char *to;      /* envelope recipient (as the LDA's -a) */
	const char *orig_to; /* original recipient (defaults to to) */
	const char *auth;    /* authenticated sender (RFC 5228 §5.4 "auth") */
	const char *final_to; /* final recipient after aliasing (defaults to to) */
	const char *client_ip; /* the SMTP client the MTA received it from */
	const char *helo;      /* its HELO/EHLO name */
	const char *client_host; /* its host name, as the MTA verified it */
	const char *queue_id;  /* the MTA's queue id (logs) */
};

struct sv_operand {
	char kind;       /* signature character */
	uint64_t num;    /* n, v; j: index of the target instruction */
	uint32_t idx;    /* s, l: constant-pool index */
	int64_t jump;    /* j: target offset in the code */
};

struct sv_optarg {
	const struct sv_ext_def *ext;
	uint8_t id;
	char kind;
	uint64_t num;
	uint32_t idx;
	const struct sv_cmp_def *cmp;
	const struct sv_match_def *match;
	unsigned rel;
	const struct sv_addrpart_def *addrpart;
};

/* One decoded instruction. The loader decodes every instruction once
 * (while verifying) and keeps these, so the VM never decodes twice. */
struct sv_operands {
	const struct sv_ext_def *ext;
	const struct sv_op_def *op;
	size_t offset, len; /* of the instruction in the code */
	size_t index;       /* among the binary's instructions */
	const struct sv_operand *pos;
	size_t npos;
	const struct sv_optarg *opt;
	size_t nopt;
	/* The core's matching operands, found once while decoding so that
	 * running a test does not search the optional operands: NULL when
	 * the instruction has no :comparator / match type / address part. */
	const struct sv_cmp_def *cmp;
	const struct sv_match_def *mt;
	unsigned rel; /* with mt */
	const struct sv_addrpart_def *addrpart;
};

/* Room for the operands of one instruction while decoding. */
struct sv_decode_buf {
	struct sv_operand pos[SV_BIN_MAX_OPERANDS];
	struct sv_optarg opt[SV_BIN_MAX_OPTIONALS];
};

/* Decode the instruction at offset (operands land in buf); false (with a
 * reason) when it is not well-formed. The verifier runs this on every
 * instruction. */
bool sv_insn_decode(const struct sv_binary *bin, size_t offset, struct sv_operands *ops,
		    struct sv_decode_buf *buf, struct sv_buf *err);
/* Find an optional operand of extension ext with that id, or NULL. */
const struct sv_optarg *sv_ops_opt(const struct sv_operands *ops, const struct sv_ext_def *ext,
				   uint8_t id);

/* A string value during a run. */
struct sv_str {
	const char *p;
	size_t len;
};

/* Match variables (RFC 5229 §3.2) captured by the last successful match. */
struct sv_match_state {
	struct sv_str v[64];
	size_t n;
	bool active; /* the script uses match variables */
	struct sv_arena *arena;
};

/* Trace: one call per test with its line and outcome, per action. */
typedef void (*sv_trace_fn)(void *ctx, unsigned line, const char *what, bool outcome);

struct sv_vm_options {
	const struct sv_settings *settings; /* NULL: defaults */
	struct sv_run *run;                 /* NULL: a run outside a delivery */
	sv_trace_fn trace;
	void *trace_ctx;
	/* The script's identity for include (RFC 6609 §3.2: a script that
	 * includes itself, directly or not, is an error): "personal:NAME"
	 * or "global:NAME" as sv_vm_include keys it; NULL: none known. */
	const char *script_key;
};

/* What the frames of one run share (RFC 6609 §3: an included script
 * adds to the same result under the same budgets): the budget counters,
 * the extensions' state, the global variables, the scripts included. */
struct sv_vm_shared {
	uint64_t steps;             /* instructions run, every frame's */
	uint64_t cpu_start, last_ns, last_steps, next_check;
	void **ext_state;           /* by registry index, owned by the extensions */
	bool *used;                 /* extensions some frame's binary has */
	char **gnames;              /* global variables (RFC 6609 §3.5) */
	struct sv_buf *gvals;
	size_t nglobals, capglobals;
	char **included;            /* keys of the scripts included so far */
	size_t nincluded, capincluded;
};

struct sv_vm {
	const struct sv_binary *bin;
	struct sv_msg *msg;
	const struct sv_envelope *env;
	const struct sv_settings *settings;
	struct sv_result *result;
	struct sv_run *run;     /* the delivery (NULL outside one) */
	struct sv_arena *arena; /* per run */
	struct sv_vm_options opts;
	size_t pc;              /* code offset of this instruction */
	size_t ip, next;        /* its index; the index of the one to run next */
	bool test;              /* result of the last test */
	bool stopped;
	bool returned;          /* return (RFC 6609 §3.3): this script only */
	struct sv_vm *parent;   /* the including script's frame; NULL at the top */
	unsigned depth;         /* of includes: 0 at the top */
	char *key;              /* the script's include key (may be NULL) */
	struct sv_vm_shared *shared; /* the top frame's */
	struct sv_vm_shared own;     /* used in the top frame */
	struct sv_buf *vars;    /* variable values, bin->nvars of them */
	struct sv_match_state match;
	struct sv_buf error;    /* runtime error text */
	unsigned error_line;
	void **ext_state;       /* by registry index, shared by the frames */
	/* prepared keys of this run only (non-literal keys), released at
	   cleanup */
	struct sv_vm_release {
		void (*fn)(void *);
		void *state;
	} *releases;
	size_t nreleases, capreleases;
	struct sv_buf scratch[4];
	/* the matching core's buffers for comparators with canon: the
	   prepared value and its units (reused by every value), and the
	   prepared keys that are not cached (reused by every test) */
	struct sv_buf match_canon[3];
	/* The MIME part a foreverypart loop (RFC 5703 §3) is at: tests with
	   :mime, replace and enclose work on it; NULL for the message itself
	   (every test outside such a loop). */
	struct sv_mime_part *part;
};

/*
 * Run a verified binary. The result collects the actions; on a runtime
 * error the status is SV_FAIL (or SV_LIMIT for budgets) and vm->error says
 * why (the caller cancels the actions and keeps the message, RFC 5228
 * §2.10.6). The vm struct is the caller's (sv_vm_run initialises it); call
 * sv_vm_cleanup afterwards.
 */
enum sv_status sv_vm_run(struct sv_vm *vm, const struct sv_binary *bin, struct sv_msg *msg,
			 const struct sv_envelope *env, struct sv_result *result,
			 const struct sv_vm_options *opts);
void sv_vm_cleanup(struct sv_vm *vm);

/*
 * Include (RFC 6609 §3.2): run bin as a child frame of vm, with its own
 * variables (the global ones are shared by name) and match variables,
 * into the same result, under the same budgets and run context. key names
 * the script ("personal:NAME", "global:NAME") for :once and cycles. A
 * runtime error in the child is an error of vm (and so of the whole run);
 * stop in the child stops vm too, return only the child.
 */
/*
 * Charge work an operation did beyond its own instruction (n more
 * instructions' worth) to the run's max-instructions budget, the one the
 * interpreter loop counts: SV_LIMIT with a runtime error naming what
 * when the budget is spent.
 */
enum sv_status sv_vm_charge(struct sv_vm *vm, uint64_t n, const char *what);

enum sv_status sv_vm_include(struct sv_vm *vm, const struct sv_binary *bin, const char *key);
/* Has the script of that key run in this run (include :once)? */
bool sv_vm_was_included(const struct sv_vm *vm, const char *key);
/* Is it running now, in vm or a frame that included vm (a cycle)? */
bool sv_vm_is_active(const struct sv_vm *vm, const char *key);

/* Record an action: the extensions' decorators run (:copy, :flags), then
 * the result takes it; a conflict or limit becomes a runtime error. */
struct sv_action;
enum sv_status sv_vm_add_action(struct sv_vm *vm, const struct sv_operands *ops,
				struct sv_action *a);

/* Bytes of a runtime error's text kept (sanitised, cut with "..."). */
#define SV_VM_ERROR_MAX 1024

/* Record a runtime error (the run then stops with SV_FAIL); the text is
 * sanitised and cut at SV_VM_ERROR_MAX bytes. */
enum sv_status sv_vm_error(struct sv_vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
unsigned sv_vm_line(const struct sv_vm *vm);

/* Operand access for extension operations. */
enum sv_status sv_vm_string(struct sv_vm *vm, uint32_t idx, struct sv_str *out);
size_t sv_vm_list_len(const struct sv_vm *vm, uint32_t idx);
enum sv_status sv_vm_list_item(struct sv_vm *vm, uint32_t idx, size_t i, struct sv_str *out);
/* True when the string or list constant needs no expansion. */
bool sv_vm_const_is_literal(const struct sv_vm *vm, uint32_t idx);
int sv_vm_slot_of(const struct sv_vm *vm, const struct sv_ext_def *ext);
void **sv_vm_ext_state(struct sv_vm *vm, const struct sv_ext_def *ext);

/* Variables (RFC 5229). */
enum sv_status sv_vm_var_set(struct sv_vm *vm, uint64_t slot, const char *p, size_t len);
void sv_vm_var_get(struct sv_vm *vm, uint64_t slot, struct sv_str *out);
/* The slot of the variable a script names at run time (imap4flags'
 * variable lists): its own of that name, else the global one it declared;
 * -1 when it has none. */
int sv_vm_var_slot(const struct sv_vm *vm, const char *name, size_t len);

/*
 * The matching core shared by every test (RFC 5228 §2.7): compares each
 * value against each key with the instruction's comparator and match type
 * (defaults i;ascii-casemap and :is) and records match variables for the
 * first successful match. Usage: sv_match_begin, sv_match_value for each
 * value (stop early when it returns true), sv_match_end gives the outcome.
 */
struct sv_matcher {
	struct sv_vm *vm;
	const struct sv_cmp_def *cmp;
	const struct sv_match_def *mt;
	unsigned rel;
	uint32_t keys;  /* constant-pool index of the key list */
	size_t nkeys;
	struct sv_str *keyv; /* expanded keys */
	void **prep;    /* prepared state per key */
	uint64_t count; /* values seen (for :count) */
	bool matched;
	enum sv_status status;
	const struct sv_operands *ops;
	void *cache; /* the instruction's prepared keys, when in use */
};
enum sv_status sv_match_begin(struct sv_matcher *m, struct sv_vm *vm,
			      const struct sv_operands *ops, uint32_t keys);
/* Like sv_match_begin for keys that are space-separated word lists. */
enum sv_status sv_match_begin_words(struct sv_matcher *m, struct sv_vm *vm,
				    const struct sv_operands *ops, uint32_t keys);
bool sv_match_value(struct sv_matcher *m, const char *val, size_t len);
enum sv_status sv_match_end(struct sv_matcher *m, bool *outcome_r);

/* Frees a prepared-matcher cache entry (binary.c calls this). */
void sv_match_cache_free(void *cache);

/* Comparators and match types of the core (vm/comparator.c, vm/match.c). */
extern const struct sv_cmp_def sv_cmp_octet, sv_cmp_ascii_casemap, sv_cmp_ascii_numeric;
extern const struct sv_cmp_def sv_cmp_unicode_casemap;
extern const struct sv_match_def sv_match_is, sv_match_contains, sv_match_matches;
/* Glob matching of RFC 5228 §2.7.1 with captures for match variables. */
bool sv_glob_match(const struct sv_cmp_def *cmp, const char *val, size_t vlen, const char *pat,
		   size_t plen, struct sv_match_state *ms);
/* The same on a value prepared by the comparator's canon: units marks
 * where each character of the value begins ('?' takes one, '*' grows by
 * one). */
bool sv_glob_match_units(const struct sv_cmp_def *cmp, const char *val, size_t vlen,
			 const unsigned char *units, const char *pat, size_t plen,
			 struct sv_match_state *ms);
/* A :matches key in the comparator's canonical form (its canon) with its
 * wildcards kept: literal text is prepared, and a '*', '?' or '\\' that
 * preparing made (U+FF0A FULLWIDTH ASTERISK gives '*') is escaped.
 * Appended to out; SV_LIMIT when that would pass max octets. */
enum sv_status sv_glob_canon(const struct sv_cmp_def *cmp, const char *pat, size_t plen,
			     size_t max, struct sv_buf *out);

#endif
