/*
 * alloc.h: the one allocation hook of sift.
 *
 * Every heap allocation in the library goes through sv_malloc/sv_realloc.
 * Tests install a hook to fail the n-th allocation. When an allocation fails
 * the out-of-memory handler runs; the default one prints a message and exits
 * with EX_TEMPFAIL (75) so an MTA retries the delivery later: a mail filter
 * that cannot allocate must never lose or half-deliver a message.
 */
#ifndef SV_ALLOC_H
#define SV_ALLOC_H

#include <stddef.h>

/* realloc-like; size 0 means free ptr and return NULL. */
typedef void *(*sv_alloc_fn)(void *ptr, size_t size);

/* Replace the allocator (NULL restores realloc). Returns the previous one. */
sv_alloc_fn sv_alloc_set_hook(sv_alloc_fn fn);
/* Replace the out-of-memory handler; it must not return. */
void sv_alloc_set_oom_handler(void (*fn)(size_t size));

/* Never return NULL: on failure the out-of-memory handler runs. */
void *sv_malloc(size_t size);
void *sv_calloc(size_t n, size_t size);
void *sv_realloc(void *ptr, size_t size);
char *sv_strndup(const char *s, size_t n);
char *sv_strdup(const char *s);
void sv_free(void *ptr);

#endif
