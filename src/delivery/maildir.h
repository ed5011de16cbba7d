/*
 * maildir.h: the Maildir store (Maildir++ layout: INBOX is the root, other
 * mailboxes are ".A.B" folders beside cur/new/tmp, each level of the name
 * in IMAP modified UTF-7; Maildir++ quota in maildirsize).
 */
#ifndef SV_MAILDIR_H
#define SV_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "delivery/store.h"
#include "lib/buf.h"
#include "lib/status.h"

/*
 * Open (creating the root's cur/new/tmp, mode 0700, when missing) the
 * Maildir under root with the options o (NULL: sv_store_opts_init's):
 * autocreate, the hierarchy separator, the quota and what exceeding it
 * does, the host name of unique file names. SV_TEMPFAIL when the root
 * cannot be made.
 */
enum sv_status sv_dlv_maildir_open_opts(const char *root, const struct sv_store_opts *o,
                                        struct sv_store **store_r, struct sv_buf *err);

/* The same with the default options and autocreate as given. */
enum sv_status sv_dlv_maildir_open(const char *root, bool autocreate, struct sv_store **store_r,
                                   struct sv_buf *err);

/* Is name an acceptable mailbox name under the default options (see
 * sv_dlv_mailbox_fsname)? */
bool sv_dlv_maildir_name_valid(const char *name, size_t len);

/* The folder of a mailbox: root for INBOX, else root/.A.B (the levels of
 * the name joined by '.', in modified UTF-7); false for a refused name. */
bool sv_dlv_maildir_path(const struct sv_store *s, const char *mailbox, size_t mlen,
                         struct sv_buf *out);

/* The n-th message (0-based, in delivery order) of a mailbox of a Maildir
 * store; its IMAP flags (space-separated) in flags_r when non-NULL. */
enum sv_status sv_dlv_maildir_read(struct sv_store *s, const char *mailbox, size_t mlen, size_t n,
                                   struct sv_buf *out, struct sv_buf *flags_r, struct sv_buf *err);

/* Number of messages of a mailbox (0 when it does not exist). */
size_t sv_dlv_maildir_count(struct sv_store *s, const char *mailbox, size_t mlen);

#endif
