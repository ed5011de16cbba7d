/*
 * run.h: the run context of one delivery (DESIGN.md §3), above the VM and
 * outliving each script of the delivery, and the chain that runs the
 * before, personal and after scripts against one message (§4).
 *
 * sieve-test, sieve-testsuite and sieve-deliver all build one: the
 * envelope (mutable: later extensions rewrite it), the user, one fixed
 * "now", the settings after every layer, state that extensions keep per
 * message across the scripts of a delivery, and the services the actions
 * and extensions reach through small interfaces: the mail store, the
 * submission, the log.
 */
#ifndef SV_RUN_H
#define SV_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "delivery/maildir.h"
#include "delivery/state.h"
#include "delivery/submit.h"
#include "lib/arena.h"
#include "lib/limits.h"
#include "lib/status.h"
#include "vm/binary.h"
#include "vm/result.h"
#include "vm/vm.h"

struct sv_msg;
struct sv_ext_def;
struct sv_metadata;
struct sv_script_resolver;

/* The recipient whose mail this is. */
struct sv_user {
	const char *name;
	const char *home;
	uid_t uid;
	gid_t gid;
	const char *const *addresses; /* the user's own addresses (vacation) */
	size_t naddresses;
};

/* Where a delivery's messages go: one line each, without location. */
enum sv_log_level { SV_LOG_ERROR, SV_LOG_WARNING, SV_LOG_INFO, SV_LOG_DEBUG };
struct sv_log {
	void (*write)(void *ctx, enum sv_log_level level, const char *text);
	void *ctx;
};

/*
 * The state store of a delivery (DESIGN.md §3, delivery/state.h): what
 * vacation and duplicate remember between messages. The program owns it
 * and the run points to it; it is opened on first use, so a delivery
 * whose scripts use neither extension never opens it. Actions keep a
 * pointer to it, since they are carried out after their run (the test
 * suite runs a script, then executes its result), so it outlives both
 * the run and the result.
 *
 * A dry run (sieve-test) checks and never claims nor writes: claim
 * answers "won" when no committed mark exists, mark and commit do
 * nothing. Any failure to reach the store is remembered in failed, so
 * that the delivery can fail temporarily (75) even where a script's
 * runtime error already turned it into a kept message.
 */
struct sv_run_state {
	char *location;         /* NULL: no state store here */
	char *user;             /* opts.user points here */
	struct sv_state_opts opts;
	bool dry_run;
	struct sv_state *st;    /* open once used */
	enum sv_status failed;  /* SV_OK, or the first failure */
	struct sv_buf error;    /* its reason */
};

/* A state service for location (copied; NULL or "": none) with opts
 * (copied; NULL: the defaults) for user (copied; may be NULL). Nothing
 * is opened yet. */
void sv_run_state_init(struct sv_run_state *s, const char *location, const char *user,
                       const struct sv_state_opts *opts, bool dry_run);
/* Roll back what is pending and close. */
void sv_run_state_free(struct sv_run_state *s);
/* Is there a state store at all? */
bool sv_run_state_available(const struct sv_run_state *s);
/*
 * The calls of state.h through the service, which opens the store on the
 * first one. claim in a dry run is check (won: no committed mark); mark
 * and commit in a dry run do nothing. A failure is SV_TEMPFAIL (or SV_FAIL
 * for a location that cannot be understood) with the reason in err, and
 * is remembered in s->failed.
 */
enum sv_status sv_run_state_check(struct sv_run_state *s, const char *ns, const void *key,
                                  size_t klen, time_t now, bool *seen_r, struct sv_buf *err);
enum sv_status sv_run_state_claim(struct sv_run_state *s, const char *ns, const void *key,
                                  size_t klen, time_t now, time_t expires_at, bool *won_r,
                                  struct sv_buf *err);
enum sv_status sv_run_state_mark(struct sv_run_state *s, const char *ns, const void *key,
                                 size_t klen, time_t expires_at, struct sv_buf *err);
enum sv_status sv_run_state_commit(struct sv_run_state *s, struct sv_buf *err);
void sv_run_state_rollback(struct sv_run_state *s);

struct sv_run {
	struct sv_arena *arena;    /* strings the run keeps (envelope, user) */
	struct sv_envelope env;    /* mutable during the delivery */
	struct sv_user user;
	time_t now;                /* one "now" for the whole delivery */
	struct sv_settings settings;
	struct sv_msg *msg;
	/* services (NULL: not available in this program) */
	struct sv_store *store;
	struct sv_submission *submit;
	struct sv_run_state *state; /* vacation, duplicate (the program's) */
	struct sv_log log;
	/* annotations (delivery/metadata.h) for mboxmetadata and
	   servermetadata; borrowed, NULL: none exist here */
	struct sv_metadata *metadata;
	/* the scripts include reaches (delivery/scripts.h; NULL: include
	   is a runtime error) */
	struct sv_script_resolver *resolver;
	/* per-message extension state, by registry index */
	void **ext_state;
	size_t next_state;
	/* trace of tests (sieve-test -t) */
	sv_trace_fn trace;
	void *trace_ctx;
};

/* A run for msg (borrowed) with the given settings (copied; NULL: the
 * defaults); now is the time of the call. */
void sv_run_init(struct sv_run *run, struct sv_msg *msg, const struct sv_settings *settings);
void sv_run_free(struct sv_run *run);

/* Copy a value into the run (NULL stays NULL). */
const char *sv_run_strdup(struct sv_run *run, const char *s);

/* The slot of an extension's per-message state, kept across the scripts
 * of the delivery and freed with the run by the extension's
 * free_message_state hook. */
void **sv_run_ext_state(struct sv_run *run, const struct sv_ext_def *ext);

/* Write one line to the run's log (nothing when it has none). */
void sv_run_logf(struct sv_run *run, enum sv_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One script of a chain: a verified binary and the name logs give it. */
struct sv_chain_script {
	const struct sv_binary *bin;
	const char *name;
	/* its include key ("personal:NAME"; sv_vm_options.script_key), or
	   NULL */
	const char *key;
};

/* What a chain did, for the log line of the delivery. */
struct sv_chain_report {
	size_t ran;              /* scripts that ran */
	/* the runtime error that ended the chain, if any */
	const char *error_script; /* its name as the chain was given it */
	unsigned error_line;
	struct sv_buf error;      /* sanitised text */
};

/*
 * Run the scripts in order against the run's message, collecting their
 * actions into res (initialised by the caller with the run's settings).
 * The chain goes on while the implicit keep holds: a script that cancels
 * it (fileinto, discard, redirect without :copy) ends the chain. A runtime
 * error in a script discards that script's actions, keeps the message
 * (RFC 5228 §2.10.6) and ends the chain; the error is logged. Nothing is
 * carried out here: the caller executes res as one transaction.
 * SV_OK when every script that ran finished, SV_FAIL when one had an error,
 * SV_TEMPFAIL when one stopped for a passing reason (an included script
 * that cannot be read now, memory): the caller defers the delivery.
 */
enum sv_status sv_dlv_run_chain(struct sv_run *run, const struct sv_chain_script *scripts,
				size_t n, struct sv_result *res, struct sv_chain_report *rep);
void sv_chain_report_free(struct sv_chain_report *rep);

#endif
