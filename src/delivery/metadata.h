/*
 * metadata.h: the metadata service of a delivery (DESIGN.md §3): the
 * mailbox and server annotations of RFC 5464 that the mboxmetadata and
 * servermetadata tests read (RFC 5490 §3.3-§4.2). Read-only for Sieve
 * (RFC 5490 §5: the extensions give no way to change an annotation).
 *
 * Back-ends: files (the default of sieve-deliver: the user's file and a
 * server file named in sift.conf, read on first use), and a table in
 * memory that sieve-testsuite's test_imap_metadata_set fills.
 *
 * The file format, one annotation a line, UTF-8:
 *
 *     # a comment; empty lines are ignored
 *     MAILBOX<TAB>ENTRY<TAB>VALUE     in the user's file (metadata =)
 *     ENTRY<TAB>VALUE                 in the server file (server-metadata =)
 *
 * ENTRY is an entry name as RFC 5464 §3.2 writes it ("/private/comment",
 * "/shared/vendor/x/y", see sv_metadata_entry_check); MAILBOX a mailbox
 * name as scripts write it (INBOX in any case). In VALUE a backslash
 * escapes: "\\" is a backslash, "\t" a tab, "\n" a line feed, "\r" a
 * carriage return; any other escape is an error. A later line for the
 * same mailbox and entry replaces an earlier one.
 */
#ifndef SV_DLV_METADATA_H
#define SV_DLV_METADATA_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/status.h"

/* Largest metadata file read (a bigger one is an error, not a cut). */
#define SV_METADATA_MAX_FILE (1024 * 1024)
/* Longest entry name accepted. */
#define SV_METADATA_MAX_ENTRY 1024

struct sv_metadata {
	/* The value of entry of mailbox (mailbox NULL: a server annotation):
	 * SV_OK with *found_r (and the value appended to value when found);
	 * SV_TEMPFAIL when the annotations cannot be read now, SV_FAIL when
	 * they are invalid (a bad line); the reason is in err. Entry names
	 * compare without ASCII case (RFC 5464 §3.2), INBOX too. */
	enum sv_status (*get)(struct sv_metadata *md, const char *mailbox, size_t mlen,
	                      const char *entry, size_t elen, struct sv_buf *value, bool *found_r,
	                      struct sv_buf *err);
	void (*close)(struct sv_metadata *md);
	/* Set when a get returned SV_TEMPFAIL: RFC 5490 §5 asks that
	 * annotations that cannot be read now be treated as a script that
	 * cannot be read now, so the delivery is retried (sieve-deliver
	 * looks here after the scripts ran). */
	bool unavailable;
};

/* Is s a valid entry name (RFC 5464 §3.2, §5)? It starts with "/private/"
 * or "/shared/", its components are not empty (no "//", no trailing '/'),
 * it holds only printable ASCII but '*' and '%', and it is at most
 * SV_METADATA_MAX_ENTRY bytes. false with the reason in err. */
bool sv_metadata_entry_check(const char *s, size_t len, struct sv_buf *err);

/* The file back-end: user_path holds the user's mailbox annotations,
 * server_path the server's (either NULL: none). A missing file holds no
 * annotation; each file is read once, on the first get that needs it. */
struct sv_metadata *sv_dlv_metadata_files(const char *user_path, const char *server_path);

/* The test double: a table in memory, empty at first. */
struct sv_metadata *sv_dlv_metadata_mem(void);
/* Set an annotation of the test double (mailbox NULL: the server's); the
 * entry must be valid (SV_FAIL with the reason in err otherwise). */
enum sv_status sv_dlv_metadata_set(struct sv_metadata *md, const char *mailbox, size_t mlen,
                                   const char *entry, size_t elen, const char *value,
                                   size_t vlen, struct sv_buf *err);

#endif
