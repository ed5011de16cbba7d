/*
 * mbox.h: the mbox store: one mbox file per mailbox under a folder ("A/B"
 * is root/A/B), INBOX a file of its own (/var/mail/user, or root/inbox).
 * Messages are written in the mboxrd form with their flags as Status:,
 * X-Status: and X-Keywords: header fields, under an fcntl lock and a
 * dotlock.
 */
#ifndef SV_MBOX_H
#define SV_MBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "delivery/store.h"
#include "lib/buf.h"
#include "lib/status.h"

/*
 * Open the mbox store of the folder root (made, 0700, when missing) with
 * INBOX the file inbox (made, 0600, at the first delivery). o: the
 * options (NULL: sv_store_opts_init's); autocreate, the separator and
 * lock_timeout apply, quota does not. Set s->env_sender and s->env_time
 * before each prepare: they make the "From " line.
 */
enum sv_status sv_dlv_mbox_open(const char *root, const char *inbox, const struct sv_store_opts *o,
                                struct sv_store **store_r, struct sv_buf *err);

/* The file of a mailbox: the INBOX file, else root/A/B (levels in modified
 * UTF-7); false for a refused name. */
bool sv_dlv_mbox_path(const struct sv_store *s, const char *mailbox, size_t mlen,
                      struct sv_buf *out);

/* The n-th message (0-based, in file order) of a mailbox, unescaped and
 * without its "From " line and flag fields; its IMAP flags
 * (space-separated) in flags_r when non-NULL; its "From " line (without
 * "From " and the newline) in from_r when non-NULL. */
enum sv_status sv_dlv_mbox_read(struct sv_store *s, const char *mailbox, size_t mlen, size_t n,
                                struct sv_buf *out, struct sv_buf *flags_r, struct sv_buf *from_r,
                                struct sv_buf *err);

/* Number of messages of a mailbox (0 when it does not exist). */
size_t sv_dlv_mbox_count(struct sv_store *s, const char *mailbox, size_t mlen);

#endif
