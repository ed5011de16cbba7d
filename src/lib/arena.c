/*
 * arena.c: a chunked bump allocator. Chunks grow from 8 KiB to 64 KiB as
 * an arena fills (a small arena stays cheap); large requests get a chunk
 * of their own. Memory is zeroed only where the caller asks for zeroed
 * memory, so pages that are never used are never touched.
 */
#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"

/* Under AddressSanitizer, memory of a chunk that was not handed out is
 * poisoned, so a read past the end of an arena allocation is caught as it
 * would be past a malloc'd block (the fuzzers and the sanitizer build rely
 * on this: a loaded binary, for one, lives in an arena). */
#if defined(__SANITIZE_ADDRESS__)
#define SV_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SV_ASAN 1
#endif
#endif
#ifdef SV_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define FIRST_CHUNK 8192
#define MAX_CHUNK 65536
#define ALIGN alignof(max_align_t)

struct chunk {
	struct chunk *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

struct sv_arena {
	struct chunk *head;
	size_t total;
	size_t next_size; /* of the next regular chunk */
};

struct sv_arena *sv_arena_new(void)
{
	return sv_calloc(1, sizeof(struct sv_arena));
}

void sv_arena_free(struct sv_arena *a)
{
	if (!a)
		return;
	struct chunk *c = a->head;
	while (c) {
		struct chunk *next = c->next;
		UNPOISON(c->data, c->size);
		sv_free(c);
		c = next;
	}
	sv_free(a);
}

/* Forget everything allocated; the current chunk is kept for reuse. */
void sv_arena_reset(struct sv_arena *a)
{
	struct chunk *keep = a->head;
	if (!keep)
		return;
	struct chunk *c = keep->next;
	while (c) {
		struct chunk *next = c->next;
		UNPOISON(c->data, c->size);
		sv_free(c);
		c = next;
	}
	keep->next = NULL;
	keep->used = 0;
	POISON(keep->data, keep->size);
	a->total = 0;
}

static struct chunk *new_chunk(size_t size)
{
	struct chunk *c = sv_malloc(sizeof *c + size);
	c->size = size;
	c->used = 0;
	c->next = NULL;
	POISON(c->data, size);
	return c;
}

static void *alloc_slow(struct sv_arena *a, size_t size)
{
	struct chunk *c = a->head;
	size_t next = a->next_size ? a->next_size : FIRST_CHUNK;
	if (size > next / 4) {
		/* big: its own chunk, behind the current one */
		struct chunk *big = new_chunk(size);
		big->used = size;
		if (c) {
			big->next = c->next;
			c->next = big;
		} else {
			a->head = big;
		}
		a->total += size;
		return big->data;
	}
	c = new_chunk(next);
	c->next = a->head;
	a->head = c;
	if (next < MAX_CHUNK)
		a->next_size = next * 2;
	else
		a->next_size = next;
	c->used = size;
	a->total += size;
	return c->data;
}

static inline void *alloc_raw(struct sv_arena *a, size_t size)
{
	if (size > SIZE_MAX - ALIGN)
		return sv_malloc(SIZE_MAX); /* runs the out-of-memory handler */
	size_t want = size;
	size = (size + ALIGN - 1) & ~(ALIGN - 1);
	if (size == 0)
		size = ALIGN;
	struct chunk *c = a->head;
	void *p;
	if (c && c->size - c->used >= size) {
		p = c->data + c->used;
		c->used += size;
		a->total += size;
	} else {
		p = alloc_slow(a, size);
	}
	UNPOISON(p, want);
	return p;
}

void *sv_arena_alloc(struct sv_arena *a, size_t size)
{
	void *p = alloc_raw(a, size);
	memset(p, 0, size);
	return p;
}

void *sv_arena_alloc_nozero(struct sv_arena *a, size_t size)
{
	return alloc_raw(a, size);
}

void *sv_arena_array(struct sv_arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return sv_malloc(SIZE_MAX);
	return sv_arena_alloc(a, n * size);
}

char *sv_arena_strndup(struct sv_arena *a, const char *s, size_t n)
{
	char *p = alloc_raw(a, n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *sv_arena_memdup(struct sv_arena *a, const void *p, size_t n)
{
	void *q = alloc_raw(a, n);
	if (n)
		memcpy(q, p, n);
	return q;
}

size_t sv_arena_used(const struct sv_arena *a)
{
	return a->total;
}
