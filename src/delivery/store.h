/*
 * store.h: the mail store interface (DESIGN.md §5) every filing action goes
 * through, the options a store is opened with, and opening a store by its
 * location string as sift.conf writes it. Back-ends: Maildir (maildir.h),
 * mbox (mbox.h).
 */
#ifndef SV_STORE_H
#define SV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* What to do when a delivery would exceed the quota. */
enum sv_quota_action {
	SV_QUOTA_TEMPFAIL, /* prepare returns SV_TEMPFAIL: the MTA retries */
	SV_QUOTA_REJECT,   /* prepare returns SV_LIMIT: the delivery bounces */
};

/* How a store is opened (sift.conf's delivery keys). */
struct sv_store_opts {
	bool autocreate;       /* filing into a missing mailbox creates it */
	char separator;        /* hierarchy separator of mailbox names: '.' or '/' */
	uint64_t quota_bytes;  /* 0: the limit in maildirsize, if any, else none */
	uint64_t quota_messages;
	enum sv_quota_action over_quota;
	unsigned lock_timeout; /* seconds to wait for an mbox lock */
	const char *hostname;  /* for unique names; NULL: gethostname() */
};

/* The defaults: autocreate, '.', no quota, tempfail, 300 s. */
void sv_store_opts_init(struct sv_store_opts *o);

/*
 * Open the store a location names: "maildir:PATH" (Maildir++ rooted at
 * PATH), "mbox:PATH[:INBOX=FILE]" (mailboxes are mbox files under the
 * folder PATH, INBOX is FILE, default PATH/inbox); a location without a
 * scheme is a Maildir. The path is already expanded (no "~"). Missing
 * Maildir folders are created; SV_TEMPFAIL when that fails, SV_FAIL for a
 * location that cannot be understood.
 */
enum sv_status sv_dlv_store_open(const char *location, const struct sv_store_opts *o,
				 struct sv_store **store_r, struct sv_buf *err);

#endif
