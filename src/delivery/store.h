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
#include <time.h>

#include "lib/buf.h"
#include "lib/status.h"

/* One message prepared for a mailbox and not yet visible in it. */
struct sv_store_txn;

/* A place messages are filed into. Mailbox names are UTF-8, '/' or '.'
 * separate hierarchy levels; "INBOX" is case-insensitive.
 *
 * Filing is two-phase (DESIGN.md §4): prepare does everything that can
 * fail (the message is written where nobody sees it), flush makes every
 * prepared message durable, commit makes one visible (a rename), sync
 * makes the commits durable, rollback takes one back (before or after
 * commit), release forgets a committed one for good. A caller prepares
 * all its messages, flushes once, commits them all and syncs once: the
 * store then waits for the disk twice per delivery, not twice per copy. */
struct sv_store {
	/* Prepare msg for mailbox with IMAP flags ("\\Seen", keywords).
	 * SV_FAIL when the mailbox does not exist (and the store does not
	 * create mailboxes) or the name is not acceptable; SV_TEMPFAIL on I/O
	 * errors. msg need not outlive the call (the executor hands each
	 * message version's bytes on and frees them: sv_msg_render). */
	enum sv_status (*prepare)(struct sv_store *s, const char *mailbox, size_t mlen,
	                          const char *msg, size_t len, const char *const *flags,
	                          size_t nflags, struct sv_store_txn **tx_r, struct sv_buf *err);
	/* Make a prepared message visible; SV_TEMPFAIL when it failed (the
	 * caller then rolls it back). */
	enum sv_status (*commit)(struct sv_store *s, struct sv_store_txn *tx, struct sv_buf *err);
	/* Make every message prepared and not yet flushed durable; commit
	 * flushes one that was not. SV_TEMPFAIL when the disk failed (the
	 * caller rolls everything back). NULL: prepare already did. */
	enum sv_status (*flush)(struct sv_store *s, struct sv_buf *err);
	/* Make every commit since the last sync durable; SV_TEMPFAIL when
	 * that failed (the caller rolls the commits back). NULL: commit
	 * already did. */
	enum sv_status (*sync)(struct sv_store *s, struct sv_buf *err);
	void (*rollback)(struct sv_store *s, struct sv_store_txn *tx);
	void (*release)(struct sv_store *s, struct sv_store_txn *tx);
	/* Optional: start making msg durable now, before anything has
	 * decided where it goes, so that a later prepare of the same version
	 * and length finds it written and on its way to the disk (the disk
	 * works while the script runs). Nothing becomes visible, and nothing
	 * fails: a store that cannot do it now does not, and prepare writes
	 * the message itself. */
	void (*stage)(struct sv_store *s, const char *msg, size_t len, unsigned version);
	/* Create a mailbox (no error when it exists). */
	enum sv_status (*create)(struct sv_store *s, const char *mailbox, size_t mlen,
	                         struct sv_buf *err);
	/* Does the mailbox exist? */
	bool (*exists)(struct sv_store *s, const char *mailbox, size_t mlen);
	void (*close)(struct sv_store *s);
	/* The envelope of the message being filed, set by the caller before
	 * prepare. mbox writes them in its "From " separator line (NULL or
	 * "": MAILER-DAEMON; 0: the time of prepare); Maildir ignores them. */
	const char *env_sender;
	time_t env_time;
	/* The caller's name for the bytes it files: two prepares with the
	 * same non-zero version and length file the same message, so the
	 * store may share one file between them (Maildir links it). 0: no
	 * promise. */
	unsigned msg_version;
};

/* What to do when a delivery would exceed the quota. */
enum sv_quota_action {
	SV_QUOTA_TEMPFAIL, /* prepare returns SV_TEMPFAIL: the MTA retries */
	SV_QUOTA_REJECT,   /* prepare returns SV_LIMIT: the delivery bounces */
};

/* How a store is opened (sift.conf's delivery keys). */
struct sv_store_opts {
	bool autocreate;      /* filing into a missing mailbox creates it */
	char separator;       /* hierarchy separator of mailbox names: '.' or '/' */
	uint64_t quota_bytes; /* 0: the limit in maildirsize, if any, else none */
	uint64_t quota_messages;
	enum sv_quota_action over_quota;
	unsigned lock_timeout; /* seconds to wait for an mbox lock */
	const char *hostname;  /* for unique names; NULL: gethostname() */
	/* Maildir: named files in tmp/ even where unnamed ones (O_TMPFILE)
	 * work, as on systems without them (tests of that path) */
	bool named_tmp_files;
};

/* The defaults: autocreate, '.', no quota, tempfail, 300 s, gethostname(). */
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

/* Prepare, flush, commit and sync at once (one store with nothing to roll
 * back with). */
enum sv_status sv_dlv_store_save(struct sv_store *s, const char *mailbox, size_t mlen,
                                 const char *msg, size_t len, const char *const *flags,
                                 size_t nflags, struct sv_buf *err);

/* ---- for the back-ends ---- */

/* The options a back-end keeps: a copy of o (NULL: the defaults); SV_FAIL
 * with the reason in err for a separator other than '.' and '/'. */
enum sv_status sv_store_opts_copy(const struct sv_store_opts *o, struct sv_store_opts *out,
                                  struct sv_buf *err);

/* How a back-end lays mailbox names out on disk. */
enum sv_dlv_layout {
	/* Maildir++: levels joined by '.' into one folder name, so a '.'
	 * inside a level cannot be stored (refused under the separator '/') */
	SV_LAYOUT_MAILDIRPP,
	/* one folder per level, joined by '/' (mbox): a '.' inside a level
	 * is kept under the separator '/', but no level starts with '.' and
	 * none ends in ".lock" (the dotlock of a sibling) */
	SV_LAYOUT_FS,
};

/*
 * The on-disk name of a mailbox other than INBOX, relative to the store's
 * root: the name is split into levels at the separator sep ('.' or '/';
 * under '.', a '/' separates levels too, so scripts written for either
 * convention work), each level is encoded in IMAP modified UTF-7 (RFC 3501
 * §5.1.3, as IMAP servers name folders on disk) and the levels are joined
 * by '.' (SV_LAYOUT_MAILDIRPP) or '/' (SV_LAYOUT_FS). Refused with SV_FAIL
 * and the reason in err: an empty name or level (leading, trailing or
 * doubled separators, so no "..", no leading '.', no '/' at the ends),
 * invalid UTF-8, control characters (C0, DEL, C1), a name over 512 bytes
 * or a level over 200 bytes once encoded, and what the layout cannot hold.
 */
enum sv_status sv_dlv_mailbox_fsname(const char *name, size_t len, char sep,
                                     enum sv_dlv_layout layout, struct sv_buf *out,
                                     struct sv_buf *err);

/* UTF-8 -> IMAP modified UTF-7 (RFC 3501 §5.1.3), appended to out; false
 * (out unchanged) when s is not valid UTF-8. */
bool sv_dlv_mutf7_encode(const char *s, size_t n, struct sv_buf *out);
/* IMAP modified UTF-7 -> UTF-8, appended to out; false (out unchanged) for
 * anything not in the canonical form the encoder writes. */
bool sv_dlv_mutf7_decode(const char *s, size_t n, struct sv_buf *out);

#endif
