/*
 * maildir.h: the mail store interface (DESIGN.md §5) and its Maildir
 * implementation (Maildir++ layout: INBOX is the root, other mailboxes are
 * ".Name" folders beside cur/new/tmp, hierarchy separator '.').
 */
#ifndef SV_MAILDIR_H
#define SV_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/status.h"

/* One message prepared for a mailbox and not yet visible in it. */
struct sv_store_txn;

/* A place messages are filed into. Mailbox names are UTF-8, '/' or '.'
 * separate hierarchy levels; "INBOX" is case-insensitive.
 *
 * Filing is two-phase (DESIGN.md §4): prepare does everything that can
 * fail (the message is written and made durable where nobody sees it),
 * commit makes it visible (a rename), rollback takes it back (before or
 * after commit), release forgets a committed one for good. */
struct sv_store {
	/* Prepare msg for mailbox with IMAP flags ("\\Seen", keywords).
	 * SV_FAIL when the mailbox does not exist (and the store does not
	 * create mailboxes) or the name is not acceptable; SV_TEMPFAIL on I/O
	 * errors. */
	enum sv_status (*prepare)(struct sv_store *s, const char *mailbox, size_t mlen,
	                          const char *msg, size_t len, const char *const *flags,
	                          size_t nflags, struct sv_store_txn **tx_r, struct sv_buf *err);
	/* Make a prepared message visible; SV_TEMPFAIL when it failed (the
	 * caller then rolls it back). */
	enum sv_status (*commit)(struct sv_store *s, struct sv_store_txn *tx, struct sv_buf *err);
	void (*rollback)(struct sv_store *s, struct sv_store_txn *tx);
	void (*release)(struct sv_store *s, struct sv_store_txn *tx);
	/* Create a mailbox (no error when it exists). */
	enum sv_status (*create)(struct sv_store *s, const char *mailbox, size_t mlen,
	                         struct sv_buf *err);
	/* Does the mailbox exist? */
	bool (*exists)(struct sv_store *s, const char *mailbox, size_t mlen);
	void (*close)(struct sv_store *s);
};

/*
 * Open (creating the root's cur/new/tmp when missing) the Maildir under
 * root. autocreate: save creates missing mailboxes.
 */
enum sv_status sv_dlv_maildir_open(const char *root, bool autocreate, struct sv_store **store_r,
                                   struct sv_buf *err);

/* Prepare and commit at once (one store with nothing to roll back with). */
enum sv_status sv_dlv_store_save(struct sv_store *s, const char *mailbox, size_t mlen,
                                 const char *msg, size_t len, const char *const *flags,
                                 size_t nflags, struct sv_buf *err);

/* Is name an acceptable mailbox name (no "..", no path escapes, no control
 * characters, no empty hierarchy level)? */
bool sv_dlv_maildir_name_valid(const char *name, size_t len);

/* The folder of a mailbox: root for INBOX, else root/.A.B ('/' -> '.'). */
bool sv_dlv_maildir_path(const struct sv_store *s, const char *mailbox, size_t mlen,
                         struct sv_buf *out);

/* The n-th message (0-based, in delivery order) of a mailbox of a Maildir
 * store; its IMAP flags (space-separated) in flags_r when non-NULL. */
enum sv_status sv_dlv_maildir_read(struct sv_store *s, const char *mailbox, size_t mlen, size_t n,
                                   struct sv_buf *out, struct sv_buf *flags_r, struct sv_buf *err);

/* Number of messages of a mailbox (0 when it does not exist). */
size_t sv_dlv_maildir_count(struct sv_store *s, const char *mailbox, size_t mlen);

#endif
