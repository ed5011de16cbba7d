/*
 * tls.c: client TLS over OpenSSL 3, loaded with dlopen() on first use
 * (tls.h). The OpenSSL headers give the types and prototypes; every
 * function is reached through a table filled by dlsym(), typed from its
 * own prototype (__typeof__), so a call can never disagree with the
 * library about its arguments. OpenSSL macros that wrap SSL_ctrl() and
 * SSL_CTX_ctrl() are spelt out as those calls.
 *
 * RFC 3207 §4.1: the client checks the server's identity; here through
 * SSL_set1_host() (names) or the IP address of the verify parameters
 * (literals), against the configured CA file or the system store.
 * Not done: client certificates, DANE, certificate pinning.
 */
#include "delivery/tls.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"

#if __has_include(<openssl/ssl.h>)
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#define SSL_FUNCS(X)                                                                               \
	X(OPENSSL_init_ssl)                                                                        \
	X(TLS_client_method)                                                                       \
	X(SSL_CTX_new)                                                                             \
	X(SSL_CTX_free)                                                                            \
	X(SSL_CTX_ctrl)                                                                            \
	X(SSL_CTX_set_verify)                                                                      \
	X(SSL_CTX_load_verify_locations)                                                           \
	X(SSL_CTX_set_default_verify_paths)                                                        \
	X(SSL_new)                                                                                 \
	X(SSL_free)                                                                                \
	X(SSL_set_fd)                                                                              \
	X(SSL_ctrl)                                                                                \
	X(SSL_set1_host)                                                                           \
	X(SSL_get0_param)                                                                          \
	X(SSL_connect)                                                                             \
	X(SSL_read)                                                                                \
	X(SSL_write)                                                                               \
	X(SSL_pending)                                                                             \
	X(SSL_get_error)                                                                           \
	X(SSL_get_verify_result)

#define CRYPTO_FUNCS(X)                                                                            \
	X(ERR_get_error)                                                                           \
	X(ERR_clear_error)                                                                         \
	X(ERR_error_string_n)                                                                      \
	X(X509_verify_cert_error_string)                                                           \
	X(X509_VERIFY_PARAM_set1_ip_asc)

static struct {
#define FIELD(f) __typeof__(&f) f;
	SSL_FUNCS(FIELD)
	CRYPTO_FUNCS(FIELD)
#undef FIELD
} fn;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool loaded;
static char load_error[256];

static bool resolve(void *lib, const char *name, void **slot)
{
	*slot = dlsym(lib, name);
	if (*slot)
		return true;
	snprintf(load_error, sizeof load_error, "OpenSSL has no %s", name);
	return false;
}

static void load(void)
{
	/* libssl pulls libcrypto in; the second dlopen only finds it */
	void *ssl = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
	void *crypto = ssl ? dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL) : NULL;
	if (!ssl || !crypto) {
		const char *why = dlerror();
		snprintf(load_error, sizeof load_error, "cannot load OpenSSL: %s",
			 why ? why : "unknown error");
		return;
	}
	bool ok = true;
#define RESOLVE_SSL(f) ok = ok && resolve(ssl, #f, (void **)&fn.f);
#define RESOLVE_CRYPTO(f) ok = ok && resolve(crypto, #f, (void **)&fn.f);
	SSL_FUNCS(RESOLVE_SSL)
	CRYPTO_FUNCS(RESOLVE_CRYPTO)
#undef RESOLVE_SSL
#undef RESOLVE_CRYPTO
	if (ok && fn.OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS,
				      NULL) != 1) {
		snprintf(load_error, sizeof load_error, "OpenSSL does not initialise");
		ok = false;
	}
	/* the libraries stay loaded: OpenSSL keeps global state and exit
	 * handlers that must not outlive them */
	loaded = ok;
}

bool sv_tls_available(struct sv_buf *err)
{
	pthread_once(&load_once, load);
	if (!loaded && err)
		sv_buf_puts(err, load_error);
	return loaded;
}

struct sv_tls {
	SSL_CTX *ctx;
	SSL *ssl;
	bool verify;
};

/* OpenSSL's queued errors, then the certificate verdict when there is one. */
static void put_errors(struct sv_tls *t, struct sv_buf *err)
{
	unsigned long e;
	char line[256];
	bool any = false;
	if (t && t->ssl && t->verify) {
		long v = fn.SSL_get_verify_result(t->ssl);
		if (v != X509_V_OK) {
			sv_buf_printf(err, "certificate verification failed: %s",
				      fn.X509_verify_cert_error_string(v));
			any = true;
		}
	}
	while ((e = fn.ERR_get_error()) != 0) {
		fn.ERR_error_string_n(e, line, sizeof line);
		sv_buf_puts(err, any ? "; " : "");
		sv_buf_puts(err, line);
		any = true;
	}
	if (!any)
		sv_buf_puts(err, "TLS error");
}

static bool is_ip_literal(const char *host)
{
	unsigned char a[16];
	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

struct sv_tls *sv_tls_client(int fd, const char *host, bool verify, const char *ca_file,
			     struct sv_buf *err)
{
	if (!sv_tls_available(err))
		return NULL;
	fn.ERR_clear_error();
	struct sv_tls *t = sv_calloc(1, sizeof *t);
	t->verify = verify;
	t->ctx = fn.SSL_CTX_new(fn.TLS_client_method());
	bool ok = t->ctx != NULL;
	/* SSL_CTX_set_min_proto_version and SSL_CTX_set_mode are macros */
	ok = ok && fn.SSL_CTX_ctrl(t->ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL) == 1;
	if (ok) {
		fn.SSL_CTX_ctrl(t->ctx, SSL_CTRL_MODE,
				SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER,
				NULL);
		fn.SSL_CTX_set_verify(t->ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	}
	if (ok && verify) {
		if (ca_file && ca_file[0])
			ok = fn.SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) == 1;
		else
			ok = fn.SSL_CTX_set_default_verify_paths(t->ctx) == 1;
		if (!ok && ca_file) {
			sv_buf_puts(err, "cannot load the CA file ");
			sv_buf_put_sanitized(err, ca_file, strlen(ca_file), 256);
			sv_buf_puts(err, ": ");
		}
	}
	ok = ok && (t->ssl = fn.SSL_new(t->ctx)) != NULL;
	ok = ok && fn.SSL_set_fd(t->ssl, fd) == 1;
	if (ok && is_ip_literal(host)) {
		if (verify)
			ok = fn.X509_VERIFY_PARAM_set1_ip_asc(fn.SSL_get0_param(t->ssl), host) == 1;
	} else if (ok) {
		/* SSL_set_tlsext_host_name is a macro */
		ok = fn.SSL_ctrl(t->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
				 (void *)host) == 1;
		if (ok && verify)
			ok = fn.SSL_set1_host(t->ssl, host) == 1;
	}
	if (ok)
		return t;
	put_errors(NULL, err);
	sv_tls_free(t);
	return NULL;
}

/* What SSL_get_error says about a call that returned r. */
static int outcome(struct sv_tls *t, int r, int *want_r, struct sv_buf *err)
{
	int e = fn.SSL_get_error(t->ssl, r);
	*want_r = 0;
	switch (e) {
	case SSL_ERROR_WANT_READ:
		*want_r = POLLIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*want_r = POLLOUT;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno)
			sv_buf_printf(err, "TLS: %s", strerror(errno));
		else
			sv_buf_puts(err, "TLS: the connection was closed");
		return -1;
	default:
		sv_buf_puts(err, "TLS: ");
		put_errors(t, err);
		return -1;
	}
}

int sv_tls_handshake(struct sv_tls *t, int *want_r, struct sv_buf *err)
{
	fn.ERR_clear_error();
	errno = 0;
	int r = fn.SSL_connect(t->ssl);
	if (r == 1) {
		*want_r = 0;
		return 1;
	}
	int o = outcome(t, r, want_r, err);
	if (o == 0) { /* a close_notify in the middle of the handshake */
		sv_buf_puts(err, "TLS: the server closed the connection during the handshake");
		return -1;
	}
	return *want_r ? 0 : -1;
}

long sv_tls_read(struct sv_tls *t, void *p, size_t n, int *want_r, struct sv_buf *err)
{
	fn.ERR_clear_error();
	errno = 0;
	int r = fn.SSL_read(t->ssl, p, n > INT_MAX ? INT_MAX : (int)n);
	if (r > 0) {
		*want_r = 0;
		return r;
	}
	return outcome(t, r, want_r, err);
}

long sv_tls_write(struct sv_tls *t, const void *p, size_t n, int *want_r, struct sv_buf *err)
{
	fn.ERR_clear_error();
	errno = 0;
	int r = fn.SSL_write(t->ssl, p, n > INT_MAX ? INT_MAX : (int)n);
	if (r > 0) {
		*want_r = 0;
		return r;
	}
	int o = outcome(t, r, want_r, err);
	if (o == 0) {
		sv_buf_puts(err, "TLS: the server closed the session");
		*want_r = 0;
	}
	return -1;
}

size_t sv_tls_pending(struct sv_tls *t)
{
	int n = fn.SSL_pending(t->ssl);
	return n > 0 ? (size_t)n : 0;
}

void sv_tls_free(struct sv_tls *t)
{
	if (!t)
		return;
	if (t->ssl)
		fn.SSL_free(t->ssl);
	if (t->ctx)
		fn.SSL_CTX_free(t->ctx);
	sv_free(t);
}

#else /* no OpenSSL headers at build time: no TLS */

bool sv_tls_available(struct sv_buf *err)
{
	if (err)
		sv_buf_puts(err, "sift was built without OpenSSL");
	return false;
}

struct sv_tls *sv_tls_client(int fd, const char *host, bool verify, const char *ca_file,
			     struct sv_buf *err)
{
	(void)fd, (void)host, (void)verify, (void)ca_file;
	sv_tls_available(err);
	return NULL;
}

int sv_tls_handshake(struct sv_tls *t, int *want_r, struct sv_buf *err)
{
	(void)t, (void)err;
	*want_r = 0;
	return -1;
}

long sv_tls_read(struct sv_tls *t, void *p, size_t n, int *want_r, struct sv_buf *err)
{
	(void)t, (void)p, (void)n, (void)err;
	*want_r = 0;
	return -1;
}

long sv_tls_write(struct sv_tls *t, const void *p, size_t n, int *want_r, struct sv_buf *err)
{
	(void)t, (void)p, (void)n, (void)err;
	*want_r = 0;
	return -1;
}

size_t sv_tls_pending(struct sv_tls *t)
{
	(void)t;
	return 0;
}

void sv_tls_free(struct sv_tls *t)
{
	(void)t;
}

#endif
