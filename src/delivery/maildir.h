/*
 * maildir.h: the Maildir store (Maildir++ layout: INBOX is the root, other mailboxes are
 * ".Name" folders beside cur/new/tmp, hierarchy separator '.').
 */
#ifndef SV_MAILDIR_H
#define SV_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "delivery/store.h"
#include "lib/buf.h"
#include "lib/status.h"

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
