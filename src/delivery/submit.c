/*
 * submit.c: what every submission back-end shares (submit.h).
 */
#include "delivery/submit.h"

enum sv_status sv_submit_send(struct sv_submission *s, const struct sv_mail_out *m,
			      struct sv_buf *err)
{
	struct sv_submit_txn *tx;
	enum sv_status st = s->prepare(s, m, &tx, err);
	if (st != SV_OK)
		return st;
	return s->commit(s, tx, err);
}
