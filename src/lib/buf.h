/*
 * buf.h: growable byte buffers (the sv_buf of STYLE.md). Always kept
 * NUL-terminated after len so the bytes can be printed, but the length is
 * what counts: the bytes may contain NUL.
 */
#ifndef SV_BUF_H
#define SV_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct sv_buf {
	char *p;
	size_t len, cap;
};

#define SV_BUF_INIT {NULL, 0, 0}

void sv_buf_reserve(struct sv_buf *b, size_t extra);
void sv_buf_append(struct sv_buf *b, const void *p, size_t n);
void sv_buf_puts(struct sv_buf *b, const char *s);
void sv_buf_putc(struct sv_buf *b, char c);
void sv_buf_printf(struct sv_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sv_buf_vprintf(struct sv_buf *b, const char *fmt, va_list ap);
void sv_buf_reset(struct sv_buf *b); /* len = 0, memory kept */
void sv_buf_free(struct sv_buf *b);
/* Hand the bytes to the caller (sv_free them); the buffer is emptied. */
char *sv_buf_steal(struct sv_buf *b, size_t *len_r);

/* Little-endian integer writers for binary formats. */
void sv_buf_put_u8(struct sv_buf *b, uint8_t v);
void sv_buf_put_u16(struct sv_buf *b, uint16_t v);
void sv_buf_put_u32(struct sv_buf *b, uint32_t v);
void sv_buf_put_u64(struct sv_buf *b, uint64_t v);
/* Unsigned LEB128 variable-length integer. */
void sv_buf_put_varint(struct sv_buf *b, uint64_t v);

/* Append s with control characters and non-UTF-8 bytes escaped, cut at
 * max bytes with "..." (for quoting user data in messages). */
void sv_buf_put_sanitized(struct sv_buf *b, const char *s, size_t n, size_t max);
/* Append the first character of s (n >= 1 bytes) as sv_buf_put_sanitized
 * shows it: control bytes and malformed UTF-8 as \xNN (\n, \r, \t),
 * invisible or bidirectional characters (U+200B..U+200F, U+202A..U+202E,
 * U+2060..U+2069, U+FEFF, C1 controls) as <U+XXXX>. Returns the bytes of s
 * it took; *cells_r (may be NULL) is the columns it occupies: 1 for a
 * character shown as itself, the escape's length otherwise. */
size_t sv_buf_put_sanitized_char(struct sv_buf *b, const char *s, size_t n, size_t *cells_r);

#endif
