/*
 * outbox.c: a submission implementation that records the messages it is
 * given, with their envelope, in memory and optionally on disk. The test
 * suite reads them back (test_message :smtp).
 */
#include "delivery/outbox.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"

void sv_outbox_init(struct sv_outbox *o, const char *dir)
{
	memset(o, 0, sizeof *o);
	if (dir)
		o->dir = sv_strdup(dir);
}

void sv_outbox_clear(struct sv_outbox *o)
{
	for (size_t i = 0; i < o->n; i++) {
		struct sv_sent *s = &o->v[i];
		sv_free(s->from);
		for (size_t k = 0; k < s->nrcpts; k++)
			sv_free(s->rcpts[k]);
		sv_free(s->rcpts);
		sv_free(s->msg);
	}
	o->n = 0;
}

void sv_outbox_free(struct sv_outbox *o)
{
	sv_outbox_clear(o);
	sv_free(o->v);
	sv_free(o->dir);
	memset(o, 0, sizeof *o);
}

static enum sv_status record(void *ctx, const char *from, const char *const *rcpts, size_t n,
                             const char *msg, size_t len, struct sv_buf *err)
{
	struct sv_outbox *o = ctx;
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 8;
		o->v = sv_realloc(o->v, o->cap * sizeof *o->v);
	}
	struct sv_sent *s = &o->v[o->n];
	s->from = sv_strdup(from ? from : "");
	s->rcpts = sv_calloc(n ? n : 1, sizeof *s->rcpts);
	for (size_t i = 0; i < n; i++)
		s->rcpts[i] = sv_strdup(rcpts[i]);
	s->nrcpts = n;
	s->msg = sv_strndup(msg, len);
	s->len = len;
	if (o->dir) {
		struct sv_buf p = SV_BUF_INIT;
		sv_buf_printf(&p, "%s/%zu.eml", o->dir, o->n);
		FILE *f = fopen(p.p, "w");
		bool ok = f != NULL;
		if (f) {
			fprintf(f, "MAIL FROM:<%s>\n", s->from);
			for (size_t i = 0; i < n; i++)
				fprintf(f, "RCPT TO:<%s>\n", rcpts[i]);
			fputc('\n', f);
			ok = fwrite(msg, 1, len, f) == len;
			ok = fclose(f) == 0 && ok;
		}
		if (!ok) {
			sv_buf_printf(err, "cannot write %s", p.p);
			sv_buf_free(&p);
			sv_free(s->from);
			for (size_t i = 0; i < n; i++)
				sv_free(s->rcpts[i]);
			sv_free(s->rcpts);
			sv_free(s->msg);
			return SV_TEMPFAIL;
		}
		sv_buf_free(&p);
	}
	o->n++;
	return SV_OK;
}

struct sv_submission sv_outbox_submission(struct sv_outbox *o)
{
	struct sv_submission s = {record, o};
	return s;
}
