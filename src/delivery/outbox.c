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

static void sent_free(struct sv_sent *s)
{
	sv_free(s->from);
	for (size_t k = 0; k < s->nrcpts; k++)
		sv_free(s->rcpts[k]);
	sv_free(s->rcpts);
	sv_free(s->msg);
}

void sv_outbox_init(struct sv_outbox *o, const char *dir)
{
	memset(o, 0, sizeof *o);
	if (dir)
		o->dir = sv_strdup(dir);
}

void sv_outbox_clear(struct sv_outbox *o)
{
	for (size_t i = 0; i < o->n; i++)
		sent_free(&o->v[i]);
	o->n = 0;
}

void sv_outbox_free(struct sv_outbox *o)
{
	sv_outbox_clear(o);
	sv_free(o->v);
	sv_free(o->dir);
	memset(o, 0, sizeof *o);
}

/* The prepared message is a copy, recorded at commit. */
static enum sv_status ob_prepare(struct sv_submission *sub, const struct sv_mail_out *m,
				 struct sv_submit_txn **tx_r, struct sv_buf *err)
{
	(void)sub;
	(void)err;
	struct sv_sent *s = sv_calloc(1, sizeof *s);
	s->from = sv_strdup(m->from ? m->from : "");
	s->rcpts = sv_calloc(m->nrcpts ? m->nrcpts : 1, sizeof *s->rcpts);
	for (size_t i = 0; i < m->nrcpts; i++)
		s->rcpts[i] = sv_strdup(m->rcpts[i]);
	s->nrcpts = m->nrcpts;
	s->msg = sv_strndup(m->msg, m->len);
	s->len = m->len;
	*tx_r = (struct sv_submit_txn *)s;
	return SV_OK;
}

static bool write_file(const struct sv_outbox *o, const struct sv_sent *s, struct sv_buf *err)
{
	struct sv_buf p = SV_BUF_INIT;
	sv_buf_printf(&p, "%s/%zu.eml", o->dir, o->n);
	FILE *f = fopen(p.p, "w");
	bool ok = f != NULL;
	if (f) {
		fprintf(f, "MAIL FROM:<%s>\n", s->from);
		for (size_t i = 0; i < s->nrcpts; i++)
			fprintf(f, "RCPT TO:<%s>\n", s->rcpts[i]);
		fputc('\n', f);
		ok = fwrite(s->msg, 1, s->len, f) == s->len;
		ok = fclose(f) == 0 && ok;
	}
	if (!ok)
		sv_buf_printf(err, "cannot write %s", p.p);
	sv_buf_free(&p);
	return ok;
}

static enum sv_status ob_commit(struct sv_submission *sub, struct sv_submit_txn *tx,
				struct sv_buf *err)
{
	struct sv_outbox *o = (struct sv_outbox *)sub;
	struct sv_sent *s = (struct sv_sent *)tx;
	if (o->dir && !write_file(o, s, err)) {
		sent_free(s);
		sv_free(s);
		return SV_TEMPFAIL;
	}
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 8;
		o->v = sv_realloc(o->v, o->cap * sizeof *o->v);
	}
	o->v[o->n++] = *s;
	sv_free(s);
	return SV_OK;
}

static void ob_rollback(struct sv_submission *sub, struct sv_submit_txn *tx)
{
	(void)sub;
	struct sv_sent *s = (struct sv_sent *)tx;
	if (!s)
		return;
	sent_free(s);
	sv_free(s);
}

static void ob_close(struct sv_submission *sub)
{
	(void)sub; /* the outbox belongs to its owner */
}

struct sv_submission *sv_outbox_submission(struct sv_outbox *o)
{
	o->base.prepare = ob_prepare;
	o->base.commit = ob_commit;
	o->base.rollback = ob_rollback;
	o->base.close = ob_close;
	return &o->base;
}
