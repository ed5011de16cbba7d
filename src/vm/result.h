/*
 * result.h: the ordered action list a script run collects (DESIGN.md §5).
 *
 * Actions are recorded during the run and carried out after it. The result
 * folds duplicates (RFC 5228 §2.10.3: the same mailbox twice is one store,
 * with the flags of the last, RFC 5232 §5; keep and fileinto "INBOX" are
 * one; the same redirect twice is one), checks
 * conflicts between actions (each action kind may refuse a companion, as
 * reject refuses keep, RFC 5429 §2.1) and tracks the implicit keep
 * (RFC 5228 §2.10.2).
 */
#ifndef SV_RESULT_H
#define SV_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/status.h"

struct sv_action;
struct sv_txn; /* the delivery's transaction (delivery/execute.h) */

/* When an action is carried out (DESIGN.md §4): every store first, then
 * what sends mail, then state writes, so that nothing is sent or recorded
 * for a message that could not be filed. */
enum sv_action_phase { SV_PHASE_NONE, SV_PHASE_STORE, SV_PHASE_SEND, SV_PHASE_STATE };

/* An action kind, declared by the extension whose command records it
 * (core: keep, redirect, discard; fileinto: store). The result and the
 * executor know actions only through these descriptors. */
struct sv_action_def {
	const char *name;   /* "keep", "store", "redirect", "discard", ... */
	bool cancels_keep;  /* cancels the implicit keep (unless :copy) */
	bool is_store;      /* files the message into a mailbox (target) */
	bool is_redirect;   /* counts against max-redirects */
	enum sv_action_phase phase;
	/* Do everything that can fail, so that commit cannot reasonably fail:
	 * SV_FAIL when this action cannot be carried out (the message stays
	 * safe: the executor keeps it instead), SV_TEMPFAIL when the whole
	 * delivery must be retried later (everything is rolled back). NULL
	 * with SV_PHASE_NONE: nothing to carry out (discard). */
	enum sv_status (*prepare)(struct sv_txn *t, struct sv_action *a, struct sv_buf *err);
	/* Make a prepared action take effect. */
	enum sv_status (*commit)(struct sv_txn *t, struct sv_action *a, struct sv_buf *err);
	/* Undo a prepared (or committed store) action. */
	void (*rollback)(struct sv_txn *t, struct sv_action *a);
	/* Forget what prepare kept, once the transaction is over. */
	void (*release)(struct sv_txn *t, struct sv_action *a);
	/* New action b duplicates existing a: fold (may update a). */
	bool (*duplicate)(struct sv_action *a, const struct sv_action *b);
	/* New action b may not come with existing a: false and a reason. */
	bool (*conflicts)(const struct sv_action *a, const struct sv_action *b,
			  struct sv_buf *err);
	/* One-line description for sieve-test and test_result_print. */
	void (*describe)(const struct sv_action *a, struct sv_buf *out);
};

struct sv_action {
	const struct sv_action_def *def;
	const char *target;  /* mailbox (stores) or address (redirect) */
	size_t tlen;
	const char **flags;  /* imap4flags (RFC 5232) */
	size_t nflags;
	bool has_flags;
	bool copy;           /* :copy (RFC 3894): does not cancel implicit keep */
	unsigned line;
	/* the message's version when the action was recorded (editheader,
	   RFC 5293: a store or send carries the header as it was then) */
	unsigned msg_version;
	bool executed;
	void *data;          /* the action kind's own parameters */
	void *txn;           /* what prepare made, until commit or rollback */
};

struct sv_result {
	struct sv_arena *arena;
	struct sv_action *v;
	size_t n, cap;
	bool keep_cancelled;  /* the implicit keep was cancelled */
	const char **keep_flags; /* flags of the implicit keep */
	size_t nkeep_flags;
	bool keep_has_flags;
	size_t redirects;
	struct sv_settings settings;
};

/* The action kinds of the core (ext/core.c) and of fileinto (ext/fileinto.c). */
extern const struct sv_action_def sv_action_keep, sv_action_store, sv_action_redirect,
	sv_action_discard;

/* Duplicate folding shared by the action kinds (RFC 5228 §2.10.3). keep and
 * store fold with each other (same mailbox, INBOX without case); a keep
 * turns a fileinto "INBOX" into keep. */
bool sv_action_fold_store(struct sv_action *a, const struct sv_action *b);
/* Same kind, same address (domain without case, RFC 5228 §4.2). */
bool sv_action_fold_address(struct sv_action *a, const struct sv_action *b);
/* Same kind: one is enough. */
bool sv_action_fold_kind(struct sv_action *a, const struct sv_action *b);

void sv_result_init(struct sv_result *r, const struct sv_settings *settings);
void sv_result_free(struct sv_result *r);
/* Drop every action and restore the implicit keep (RFC 5228 §2.10.6). */
void sv_result_cancel(struct sv_result *r);

/* A point in a result to come back to: a chain of scripts discards the
 * actions of one script that failed (RFC 5228 §2.10.6), not those of the
 * scripts before it. Folding into an earlier action (flags of a store
 * named again) is not undone. */
struct sv_result_mark {
	size_t n, redirects;
	bool keep_cancelled;
	const char **keep_flags;
	size_t nkeep_flags;
	bool keep_has_flags;
};
void sv_result_mark(const struct sv_result *r, struct sv_result_mark *m);
void sv_result_rewind(struct sv_result *r, const struct sv_result_mark *m);

/*
 * Add an action (copied into the result's arena). Returns SV_OK, SV_LIMIT
 * when max-actions or max-redirects is exceeded, SV_FAIL on a conflict;
 * err gets the reason.
 */
enum sv_status sv_result_add(struct sv_result *r, const struct sv_action *a, struct sv_buf *err);

/* Is the target the INBOX (case-insensitive, RFC 3501 §5.1)? */
bool sv_mailbox_is_inbox(const char *name, size_t len);

/* Does the implicit keep still need a store of its own? Not when it was
 * cancelled, nor when an explicit store into INBOX (fileinto :copy "INBOX")
 * already files the message there (RFC 5228 §2.10.3: the same mailbox
 * twice is one store). */
bool sv_result_implicit_keep_pending(const struct sv_result *r);

/* "keep", "fileinto:Junk[\\Seen]", "redirect:a@b", "discard": the one-line
 * form of sieve-test --batch. Ends with the implicit keep when it holds. */
void sv_result_summary(const struct sv_result *r, struct sv_buf *out);
/* Multi-line human-readable listing (sieve-test, test_result_print). */
void sv_result_print(const struct sv_result *r, struct sv_buf *out);

#endif
