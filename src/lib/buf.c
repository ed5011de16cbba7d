/*
 * buf.c: growable byte buffers (see buf.h).
 */
#include "buf.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "utf8.h"

static void grow(struct sv_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need < b->len) /* overflow */
		need = SIZE_MAX;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->p = sv_realloc(b->p, cap);
	b->cap = cap;
}

void sv_buf_reserve(struct sv_buf *b, size_t extra)
{
	if (b->cap - b->len > extra)
		return;
	grow(b, extra);
}

void sv_buf_append(struct sv_buf *b, const void *p, size_t n)
{
	if (b->cap - b->len <= n)
		grow(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void sv_buf_puts(struct sv_buf *b, const char *s)
{
	sv_buf_append(b, s, strlen(s));
}

void sv_buf_putc(struct sv_buf *b, char c)
{
	if (b->cap - b->len <= 1)
		grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

void sv_buf_vprintf(struct sv_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	sv_buf_reserve(b, (size_t)n);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void sv_buf_printf(struct sv_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sv_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void sv_buf_reset(struct sv_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void sv_buf_free(struct sv_buf *b)
{
	sv_free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *sv_buf_steal(struct sv_buf *b, size_t *len_r)
{
	if (!b->p)
		sv_buf_reserve(b, 0);
	char *p = b->p;
	if (len_r)
		*len_r = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void sv_buf_put_u8(struct sv_buf *b, uint8_t v)
{
	sv_buf_putc(b, (char)v);
}

void sv_buf_put_u16(struct sv_buf *b, uint16_t v)
{
	unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
	sv_buf_append(b, x, 2);
}

void sv_buf_put_u32(struct sv_buf *b, uint32_t v)
{
	unsigned char x[4];
	for (int i = 0; i < 4; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	sv_buf_append(b, x, 4);
}

void sv_buf_put_u64(struct sv_buf *b, uint64_t v)
{
	unsigned char x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	sv_buf_append(b, x, 8);
}

void sv_buf_put_varint(struct sv_buf *b, uint64_t v)
{
	if (b->cap - b->len <= 10)
		grow(b, 10);
	unsigned char *x = (unsigned char *)b->p + b->len;
	size_t n = 0;
	while (v >= 0x80) {
		x[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	x[n++] = (unsigned char)v;
	b->len += n;
	b->p[b->len] = '\0';
}

/* Code points that print as nothing or reorder what follows: C1 controls,
 * zero-width and bidirectional formatting characters, the byte order mark.
 * Echoed raw they hide or disguise script text ("Trojan source"). */
static bool invisible(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0xad || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

size_t sv_buf_put_sanitized_char(struct sv_buf *b, const char *s, size_t n, size_t *cells_r)
{
	size_t start = b->len, cells = 1, took = 1;
	unsigned char c = (unsigned char)s[0];
	uint32_t cp;
	if (c < 0x20 || c == 0x7f) {
		if (c == '\n')
			sv_buf_puts(b, "\\n");
		else if (c == '\r')
			sv_buf_puts(b, "\\r");
		else if (c == '\t')
			sv_buf_puts(b, "\\t");
		else
			sv_buf_printf(b, "\\x%02x", c);
		cells = b->len - start;
	} else if (c < 0x80) {
		sv_buf_putc(b, (char)c);
	} else if ((took = sv_utf8_decode(s, n, &cp)) == 0) {
		sv_buf_printf(b, "\\x%02x", c);
		took = 1;
		cells = b->len - start;
	} else if (invisible(cp)) {
		sv_buf_printf(b, "<U+%04X>", (unsigned)cp);
		cells = b->len - start;
	} else {
		sv_buf_append(b, s, took);
	}
	if (cells_r)
		*cells_r = cells;
	return took;
}

void sv_buf_put_sanitized(struct sv_buf *b, const char *s, size_t n, size_t max)
{
	size_t start = b->len;
	size_t i = 0;
	while (i < n) {
		if (b->len - start >= max) {
			sv_buf_puts(b, "...");
			return;
		}
		i += sv_buf_put_sanitized_char(b, s + i, n - i, NULL);
	}
}
