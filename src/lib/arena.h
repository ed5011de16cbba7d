/*
 * arena.h: bump allocation for things that die together (DESIGN.md §8):
 * one arena per compile, one per message. Freed in one call.
 */
#ifndef SV_ARENA_H
#define SV_ARENA_H

#include <stddef.h>

struct sv_arena;

struct sv_arena *sv_arena_new(void);
void sv_arena_free(struct sv_arena *a);

/* Zeroed memory, aligned for any type. Never NULL (see alloc.h). */
void *sv_arena_alloc(struct sv_arena *a, size_t size);
/* Like sv_arena_alloc, but the memory is not zeroed (for memory the
 * caller writes in full). */
void *sv_arena_alloc_nozero(struct sv_arena *a, size_t size);
/* Forget everything allocated, keeping one chunk for reuse. */
void sv_arena_reset(struct sv_arena *a);
/* n elements of size bytes each, overflow-checked. */
void *sv_arena_array(struct sv_arena *a, size_t n, size_t size);
/* A NUL-terminated copy of n bytes (the bytes may contain NUL). */
char *sv_arena_strndup(struct sv_arena *a, const char *s, size_t n);
void *sv_arena_memdup(struct sv_arena *a, const void *p, size_t n);
/* Bytes handed out so far (for limits and tests). */
size_t sv_arena_used(const struct sv_arena *a);

#endif
