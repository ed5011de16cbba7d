/*
 * alloc.c: allocation hook and out-of-memory policy (see alloc.h).
 */
#include "alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* size 0 means free (the hook contract of alloc.h) */
static void *default_alloc(void *ptr, size_t size)
{
	if (size == 0) {
		free(ptr);
		return NULL;
	}
	return realloc(ptr, size);
}

static sv_alloc_fn alloc_fn = default_alloc;

static void default_oom(size_t size)
{
	static const char msg[] = "sift: out of memory\n";
	(void)size;
	if (write(2, msg, sizeof msg - 1) < 0) {
		/* nothing more to do */
	}
	_exit(75); /* EX_TEMPFAIL: the MTA keeps the message and retries */
}

static void (*oom_fn)(size_t) = default_oom;

sv_alloc_fn sv_alloc_set_hook(sv_alloc_fn fn)
{
	sv_alloc_fn old = alloc_fn;
	alloc_fn = fn ? fn : default_alloc;
	return old;
}

void sv_alloc_set_oom_handler(void (*fn)(size_t size))
{
	oom_fn = fn ? fn : default_oom;
}

void *sv_realloc(void *ptr, size_t size)
{
	void *p = alloc_fn(ptr, size ? size : 1);
	if (!p) {
		oom_fn(size);
		abort(); /* the handler must not return */
	}
	return p;
}

void *sv_malloc(size_t size)
{
	return sv_realloc(NULL, size);
}

void *sv_calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		oom_fn(SIZE_MAX);
		abort();
	}
	void *p = sv_malloc(n * size);
	memset(p, 0, n * size);
	return p;
}

char *sv_strndup(const char *s, size_t n)
{
	char *p = sv_malloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *sv_strdup(const char *s)
{
	return sv_strndup(s, strlen(s));
}

void sv_free(void *ptr)
{
	if (ptr)
		(void)alloc_fn(ptr, 0);
}
