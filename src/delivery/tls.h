/*
 * tls.h: client-side TLS for the SMTP back-end (smtp.c), over OpenSSL
 * loaded at run time. Most deliveries never send mail, and those that do
 * mostly do not use STARTTLS: libssl and libcrypto are opened with
 * dlopen() the first time a TLS session starts, never at start-up.
 *
 * The calls never block: each says which readiness of the socket to wait
 * for (POLLIN or POLLOUT) and the caller polls, so one deadline logic (the
 * caller's) covers plain and encrypted steps alike.
 */
#ifndef SV_TLS_H
#define SV_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

struct sv_tls;

/* Load OpenSSL (once per process; later calls answer from memory). false,
 * with the reason in err, when libssl.so.3 cannot be loaded or lacks a
 * function sift calls. */
bool sv_tls_available(struct sv_buf *err);

/* A client session over the connected socket fd, TLS 1.2 at least.
 * verify: the server's certificate must chain to ca_file (NULL: the
 * system's store) and name host (a DNS name, or an IP address literal);
 * otherwise the session is encrypted but not authenticated. host is also
 * sent as SNI when it is a name. NULL, with the reason in err, on failure. */
struct sv_tls *sv_tls_client(int fd, const char *host, bool verify, const char *ca_file,
			     struct sv_buf *err);

/* Run the handshake: 1 done; 0 call again when the socket is ready for
 * *want_r; -1 failed, the reason (certificate problems included) in err. */
int sv_tls_handshake(struct sv_tls *t, int *want_r, struct sv_buf *err);

/* > 0: bytes read. 0: the server closed the session. -1: *want_r != 0,
 * call again when the socket is ready for it; *want_r == 0, failed (err). */
long sv_tls_read(struct sv_tls *t, void *p, size_t n, int *want_r, struct sv_buf *err);

/* > 0: bytes written (maybe fewer than n). -1: as sv_tls_read. */
long sv_tls_write(struct sv_tls *t, const void *p, size_t n, int *want_r, struct sv_buf *err);

/* Bytes already decrypted and waiting to be read. */
size_t sv_tls_pending(struct sv_tls *t);

/* Forget the session (no close_notify is sent; the caller closes fd). */
void sv_tls_free(struct sv_tls *t);

#endif
