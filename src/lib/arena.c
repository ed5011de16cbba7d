/*
 * arena.c: a chunked bump allocator. Large requests get a chunk of their own.
 */
#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"

#define CHUNK_SIZE 16384

struct chunk {
	struct chunk *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

struct sv_arena {
	struct chunk *head;
	size_t total;
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
		sv_free(c);
		c = next;
	}
	sv_free(a);
}

static struct chunk *new_chunk(size_t size)
{
	struct chunk *c = sv_malloc(sizeof *c + size);
	c->size = size;
	c->used = 0;
	c->next = NULL;
	return c;
}

void *sv_arena_alloc(struct sv_arena *a, size_t size)
{
	const size_t align = alignof(max_align_t);
	if (size > SIZE_MAX - align)
		return sv_malloc(SIZE_MAX); /* runs the out-of-memory handler */
	size = (size + align - 1) & ~(align - 1);
	if (size == 0)
		size = align;
	struct chunk *c = a->head;
	if (!c || c->size - c->used < size) {
		if (size > CHUNK_SIZE / 4) {
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
			memset(big->data, 0, size);
			return big->data;
		}
		c = new_chunk(CHUNK_SIZE);
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += size;
	a->total += size;
	memset(p, 0, size);
	return p;
}

void *sv_arena_array(struct sv_arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return sv_malloc(SIZE_MAX);
	return sv_arena_alloc(a, n * size);
}

char *sv_arena_strndup(struct sv_arena *a, const char *s, size_t n)
{
	char *p = sv_arena_alloc(a, n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *sv_arena_memdup(struct sv_arena *a, const void *p, size_t n)
{
	void *q = sv_arena_alloc(a, n);
	if (n)
		memcpy(q, p, n);
	return q;
}

size_t sv_arena_used(const struct sv_arena *a)
{
	return a->total;
}
