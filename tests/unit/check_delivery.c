/*
 * check_delivery.c: the delivery transaction (src/delivery/execute.c) and
 * the Maildir store's two phases (src/delivery/maildir.c), DESIGN.md §4.
 *
 * A store double wraps a real Maildir in a scratch folder: it logs every
 * call and fails the call it is told to fail, so each test can assert the
 * order of the steps and that nothing of a failed attempt is left behind.
 */
#include <check.h>
#include <stdbool.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delivery/execute.h"
#include "delivery/lda.h"
#include "delivery/maildir.h"
#include "delivery/outbox.h"
#include "lib/alloc.h"
#include "vm/result.h"

static char root[64];
static const char msg[] = "From: a@example.org\nSubject: t\n\nbody\n";

/* ---- the store double ---- */

struct spy {
	struct sv_store base;
	struct sv_store *real;
	char log[512];
	int fail_prepare, fail_commit; /* 1-based call number to fail, 0 none */
	int prepares, commits;
	enum sv_status fail_with;
};

static void logf_(struct spy *s, const char *what, const char *mb, size_t ml)
{
	size_t n = strlen(s->log);
	snprintf(s->log + n, sizeof s->log - n, "%s%s:%.*s", n ? " " : "", what, (int)ml, mb);
}

static enum sv_status spy_prepare(struct sv_store *st, const char *mb, size_t ml, const char *m,
				  size_t len, const char *const *fl, size_t nfl,
				  struct sv_store_txn **tx_r, struct sv_buf *err)
{
	struct spy *s = (struct spy *)st;
	logf_(s, "prepare", mb, ml);
	if (++s->prepares == s->fail_prepare) {
		sv_buf_puts(err, "injected");
		*tx_r = NULL;
		return s->fail_with;
	}
	return s->real->prepare(s->real, mb, ml, m, len, fl, nfl, tx_r, err);
}

static enum sv_status spy_commit(struct sv_store *st, struct sv_store_txn *tx, struct sv_buf *err)
{
	struct spy *s = (struct spy *)st;
	logf_(s, "commit", "", 0);
	if (++s->commits == s->fail_commit) {
		sv_buf_puts(err, "injected");
		return SV_TEMPFAIL;
	}
	return s->real->commit(s->real, tx, err);
}

static void spy_rollback(struct sv_store *st, struct sv_store_txn *tx)
{
	struct spy *s = (struct spy *)st;
	logf_(s, "rollback", "", 0);
	s->real->rollback(s->real, tx);
}

static void spy_release(struct sv_store *st, struct sv_store_txn *tx)
{
	struct spy *s = (struct spy *)st;
	s->real->release(s->real, tx);
}

static void spy_init(struct spy *s)
{
	memset(s, 0, sizeof *s);
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_maildir_open(root, true, &s->real, &err), SV_OK);
	sv_buf_free(&err);
	s->base.prepare = spy_prepare;
	s->base.commit = spy_commit;
	s->base.rollback = spy_rollback;
	s->base.release = spy_release;
	s->fail_with = SV_TEMPFAIL;
}

/* ---- scratch Maildir ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void setup(void)
{
	snprintf(root, sizeof root, "/tmp/check_delivery.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Files in folder/sub ("" is the INBOX folder). */
static int count_files(const char *folder, const char *sub)
{
	char p[256];
	snprintf(p, sizeof p, "%s%s%s/%s", root, *folder ? "/." : "", folder, sub);
	DIR *d = opendir(p);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int delivered(const char *folder)
{
	return count_files(folder, "new") + count_files(folder, "cur");
}

static int everywhere(const char *sub)
{
	return count_files("", sub) + count_files("A", sub) + count_files("B", sub);
}

static void add_copy(struct sv_result *r, const struct sv_action_def *d, const char *target,
		     bool copy)
{
	struct sv_action a = {
	    .def = d, .target = target, .tlen = target ? strlen(target) : 0, .copy = copy};
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(sv_result_add(r, &a, &err), SV_OK);
	sv_buf_free(&err);
}

static void add(struct sv_result *r, const struct sv_action_def *d, const char *target)
{
	add_copy(r, d, target, false);
}

static void ctx_init(struct sv_exec_ctx *c, struct sv_store *store, struct sv_submission *sub)
{
	memset(c, 0, sizeof *c);
	c->store = store;
	c->submit = sub;
	c->msg = msg;
	c->len = sizeof msg - 1;
}

/* ---- the Maildir's two phases ---- */

START_TEST(test_maildir_phases)
{
	struct sv_store *md;
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_maildir_open(root, true, &md, &err), SV_OK);
	struct sv_store_txn *tx;
	/* prepared: written, unnamed in tmp/ (O_TMPFILE), invisible in new/ */
	ck_assert_int_eq(md->prepare(md, "A", 1, msg, sizeof msg - 1, NULL, 0, &tx, &err), SV_OK);
	ck_assert_int_eq(count_files("A", "tmp"), 0);
	ck_assert_int_eq(delivered("A"), 0);
	ck_assert_int_eq(md->flush(md, &err), SV_OK);
	ck_assert_int_eq(delivered("A"), 0);
	ck_assert_int_eq(md->commit(md, tx, &err), SV_OK);
	ck_assert_int_eq(md->sync(md, &err), SV_OK);
	ck_assert_int_eq(count_files("A", "tmp"), 0);
	ck_assert_int_eq(count_files("A", "new"), 1);
	/* a committed message is taken back by rollback */
	md->rollback(md, tx);
	ck_assert_int_eq(delivered("A"), 0);
	/* rolled back before commit: nothing anywhere */
	ck_assert_int_eq(md->prepare(md, "A", 1, msg, sizeof msg - 1, NULL, 0, &tx, &err), SV_OK);
	md->rollback(md, tx);
	ck_assert_int_eq(count_files("A", "tmp") + delivered("A"), 0);
	/* flags put a prepared message into cur/ with its info suffix */
	const char *flags[] = {"\\Seen"};
	ck_assert_int_eq(sv_dlv_store_save(md, "B", 1, msg, sizeof msg - 1, flags, 1, &err), SV_OK);
	ck_assert_int_eq(count_files("B", "cur"), 1);
	/* a name that escapes is refused at prepare, nothing is written */
	ck_assert_int_eq(md->prepare(md, "../x", 4, msg, sizeof msg - 1, NULL, 0, &tx, &err),
			 SV_FAIL);
	md->close(md);
	sv_buf_free(&err);
}
END_TEST

/* ---- the transaction ---- */

START_TEST(test_prepare_all_then_commit)
{
	struct spy s;
	spy_init(&s);
	struct sv_result r;
	sv_result_init(&r, NULL);
	add(&r, &sv_action_store, "A");
	add(&r, &sv_action_store, "B");
	add(&r, &sv_action_keep, "INBOX");
	struct sv_exec_ctx c;
	ctx_init(&c, &s.base, NULL);
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_OK);
	ck_assert_str_eq(s.log, "prepare:A prepare:B prepare:INBOX commit: commit: commit:");
	ck_assert_int_eq(delivered("A") + delivered("B") + delivered(""), 3);
	ck_assert_int_eq(everywhere("tmp"), 0);
	sv_result_free(&r);
	s.real->close(s.real);
}
END_TEST

/* A temporary failure of the n-th prepare or commit leaves nothing behind,
 * whatever n: the MTA's retry then delivers exactly once. */
START_TEST(test_tempfail_leaves_nothing)
{
	for (int phase = 0; phase < 2; phase++) {
		for (int n = 1; n <= 3; n++) {
			struct spy s;
			spy_init(&s);
			if (phase == 0)
				s.fail_prepare = n;
			else
				s.fail_commit = n;
			struct sv_result r;
			sv_result_init(&r, NULL);
			/* :copy leaves the implicit keep: three stores */
			add_copy(&r, &sv_action_store, "A", true);
			add_copy(&r, &sv_action_store, "B", true);
			struct sv_exec_ctx c;
			ctx_init(&c, &s.base, NULL);
			ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_TEMPFAIL);
			ck_assert_msg(delivered("A") + delivered("B") + delivered("") == 0,
				      "phase %d step %d left a delivered copy (%s)", phase, n, s.log);
			ck_assert_msg(everywhere("tmp") == 0, "phase %d step %d left tmp files", phase,
				      n);
			sv_result_free(&r);
			s.real->close(s.real);
			teardown();
			setup();
		}
	}
}
END_TEST

START_TEST(test_bad_mailbox_falls_back_to_inbox)
{
	struct spy s;
	spy_init(&s);
	s.fail_prepare = 1;
	s.fail_with = SV_FAIL;
	struct sv_result r;
	sv_result_init(&r, NULL);
	add(&r, &sv_action_store, "A");
	const char *flags[] = {"\\Flagged"};
	r.v[0].flags = flags;
	r.v[0].nflags = 1;
	r.v[0].has_flags = true;
	struct sv_exec_ctx c;
	ctx_init(&c, &s.base, NULL);
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_FAIL);
	ck_assert_int_eq(delivered("A"), 0);
	/* kept in INBOX, with the flags the failed fileinto asked for */
	ck_assert_int_eq(count_files("", "cur"), 1);
	ck_assert_int_eq(everywhere("tmp"), 0);
	sv_result_free(&r);
	s.real->close(s.real);
}
END_TEST

/* A spy submission: how many messages were filed when it committed;
 * refuse: its commit fails. */
static int filed_at_send = -1;
struct send_spy {
	struct sv_submission base;
	bool refuse;
	int prepared, committed, rolled_back;
};

static enum sv_status spy_send_prepare(struct sv_submission *sub, const struct sv_mail_out *m,
				       struct sv_submit_txn **tx_r, struct sv_buf *err)
{
	(void)m;
	(void)err;
	struct send_spy *s = (struct send_spy *)sub;
	s->prepared++;
	*tx_r = (struct sv_submit_txn *)s;
	return SV_OK;
}

static enum sv_status spy_send_commit(struct sv_submission *sub, struct sv_submit_txn *tx,
				      struct sv_buf *err)
{
	(void)tx;
	struct send_spy *s = (struct send_spy *)sub;
	filed_at_send = delivered("A");
	if (s->refuse) {
		sv_buf_puts(err, "refused");
		return SV_FAIL;
	}
	s->committed++;
	return SV_OK;
}

static void spy_send_rollback(struct sv_submission *sub, struct sv_submit_txn *tx)
{
	(void)tx;
	((struct send_spy *)sub)->rolled_back++;
}

static void send_spy_init(struct send_spy *s, bool refuse)
{
	memset(s, 0, sizeof *s);
	s->base.prepare = spy_send_prepare;
	s->base.commit = spy_send_commit;
	s->base.rollback = spy_send_rollback;
	s->refuse = refuse;
}

START_TEST(test_sends_after_stores)
{
	struct spy s;
	spy_init(&s);
	struct sv_result r;
	sv_result_init(&r, NULL);
	add(&r, &sv_action_redirect, "x@example.org");
	add(&r, &sv_action_store, "A");
	struct send_spy sub;
	send_spy_init(&sub, false);
	struct sv_exec_ctx c;
	ctx_init(&c, &s.base, &sub.base);
	filed_at_send = -1;
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_OK);
	ck_assert_int_eq(filed_at_send, 1);
	ck_assert_int_eq(sub.committed, 1);
	ck_assert_int_eq(delivered(""), 0);
	sv_result_free(&r);
	s.real->close(s.real);
}
END_TEST

START_TEST(test_failed_redirect_keeps)
{
	struct spy s;
	spy_init(&s);
	struct sv_result r;
	sv_result_init(&r, NULL);
	add(&r, &sv_action_redirect, "x@example.org");
	struct send_spy sub;
	send_spy_init(&sub, true);
	struct sv_exec_ctx c;
	ctx_init(&c, &s.base, &sub.base);
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_FAIL);
	ck_assert_int_eq(delivered(""), 1);
	/* without any way to send, the message is kept as well */
	sv_result_free(&r);
	sv_result_init(&r, NULL);
	add(&r, &sv_action_redirect, "y@example.org");
	ctx_init(&c, &s.base, NULL);
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_FAIL);
	ck_assert_int_eq(delivered(""), 2);
	sv_result_free(&r);
	s.real->close(s.real);
}
END_TEST

/* A store that fails for now after a redirect was prepared: nothing is
 * sent and nothing filed. */
START_TEST(test_tempfail_abandons_sends)
{
	struct spy s;
	spy_init(&s);
	s.fail_commit = 1;
	struct sv_result r;
	sv_result_init(&r, NULL);
	add(&r, &sv_action_redirect, "x@example.org");
	add(&r, &sv_action_store, "A");
	struct send_spy sub;
	send_spy_init(&sub, false);
	struct sv_exec_ctx c;
	ctx_init(&c, &s.base, &sub.base);
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_TEMPFAIL);
	ck_assert_int_eq(sub.prepared, 1);
	ck_assert_int_eq(sub.committed, 0);
	ck_assert_int_eq(sub.rolled_back, 1);
	ck_assert_int_eq(delivered("A") + everywhere("tmp"), 0);
	sv_result_free(&r);
	s.real->close(s.real);
}
END_TEST

/* A recording outbox for the loop tests. */
START_TEST(test_redirect_loops)
{
	struct spy s;
	spy_init(&s);
	struct sv_outbox ob;
	sv_outbox_init(&ob, NULL);
	struct sv_exec_ctx c;
	ctx_init(&c, &s.base, sv_outbox_submission(&ob));
	c.recipient = "me@example.org";
	c.max_delivered_to = 2;
	static const struct {
		const char *msg, *to;
		bool sent;
	} cases[] = {
	    /* sent on, marked with the recipient */
	    {"Subject: a\n\nx\n", "you@example.net", true},
	    /* never to the recipient itself */
	    {"Subject: a\n\nx\n", "ME@example.org", false},
	    /* redirected by this recipient before */
	    {"X-Sieve-Redirected-From: <me@EXAMPLE.org>\nSubject: a\n\nx\n", "you@example.net",
	     false},
	    /* by someone else: fine */
	    {"X-Sieve-Redirected-From: <other@example.org>\n\nx\n", "you@example.net", true},
	    /* two hops are within the limit, three are not */
	    {"Delivered-To: a@x\nDelivered-To: b@x\n\nx\n", "you@example.net", true},
	    {"Delivered-To: a@x\nDelivered-To: b@x\nDelivered-To: c@x\n\nx\n", "you@example.net",
	     false},
	    /* a Delivered-To in the body is not a field */
	    {"Subject: a\n\nDelivered-To: a@x\nDelivered-To: b@x\nDelivered-To: c@x\n",
	     "you@example.net", true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t before = ob.n;
		int kept = delivered("");
		c.msg = cases[i].msg;
		c.len = strlen(cases[i].msg);
		struct sv_result r;
		sv_result_init(&r, NULL);
		add(&r, &sv_action_redirect, cases[i].to);
		enum sv_status st = sv_dlv_execute(&r, &c, true);
		ck_assert_msg((ob.n > before) == cases[i].sent, "case %zu: sent %zu", i, ob.n - before);
		if (cases[i].sent) {
			ck_assert_int_eq(st, SV_OK);
			ck_assert_msg(strncmp(ob.v[ob.n - 1].msg,
					      "X-Sieve-Redirected-From: <me@example.org>\n", 41) == 0,
				      "case %zu: not marked", i);
		} else {
			/* refused: kept instead */
			ck_assert_int_eq(st, SV_FAIL);
			ck_assert_int_eq(delivered(""), kept + 1);
		}
		sv_result_free(&r);
	}
	sv_outbox_free(&ob);
	s.real->close(s.real);
}
END_TEST

/* sieve-deliver -m: keep files there, INBOX when there is no such place. */
START_TEST(test_keep_mailbox)
{
	struct sv_store *md;
	struct sv_buf err = SV_BUF_INIT;
	ck_assert_int_eq(sv_dlv_maildir_open(root, false, &md, &err), SV_OK);
	ck_assert_int_eq(md->create(md, "A", 1, &err), SV_OK);
	struct sv_exec_ctx c;
	ctx_init(&c, md, NULL);
	c.keep_mailbox = "A";
	struct sv_result r;
	sv_result_init(&r, NULL);
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_OK);
	ck_assert_int_eq(delivered("A"), 1);
	sv_result_free(&r);
	/* an explicit keep too */
	sv_result_init(&r, NULL);
	add(&r, &sv_action_keep, "INBOX");
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_OK);
	ck_assert_int_eq(delivered("A"), 2);
	sv_result_free(&r);
	/* no such mailbox (and no autocreate): INBOX */
	c.keep_mailbox = "B";
	sv_result_init(&r, NULL);
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_OK);
	ck_assert_int_eq(delivered(""), 1);
	ck_assert_int_eq(delivered("B"), 0);
	sv_result_free(&r);
	md->close(md);
	sv_buf_free(&err);
}
END_TEST

START_TEST(test_discard_files_nothing)
{
	struct spy s;
	spy_init(&s);
	struct sv_result r;
	sv_result_init(&r, NULL);
	add(&r, &sv_action_discard, NULL);
	struct sv_exec_ctx c;
	ctx_init(&c, &s.base, NULL);
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_OK);
	ck_assert_str_eq(s.log, "");
	ck_assert_int_eq(delivered(""), 0);
	sv_result_free(&r);
	s.real->close(s.real);
}
END_TEST

/* quota-exceeded = reject: a store that refuses for good (SV_LIMIT) ends
 * the whole delivery, with nothing filed, and says so. */
START_TEST(test_limit_rejects_all)
{
	struct spy s;
	spy_init(&s);
	s.fail_prepare = 2;
	s.fail_with = SV_LIMIT;
	struct sv_result r;
	sv_result_init(&r, NULL);
	add(&r, &sv_action_store, "A");
	add(&r, &sv_action_store, "B");
	struct sv_exec_ctx c;
	ctx_init(&c, &s.base, NULL);
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_LIMIT);
	ck_assert_str_eq(s.log, "prepare:A prepare:B rollback:");
	ck_assert_int_eq(everywhere("new") + everywhere("cur") + everywhere("tmp"), 0);
	sv_result_free(&r);
	/* the implicit keep into a full INBOX: the same */
	struct spy s2;
	spy_init(&s2);
	s2.fail_prepare = 1;
	s2.fail_with = SV_LIMIT;
	sv_result_init(&r, NULL);
	ctx_init(&c, &s2.base, NULL);
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_LIMIT);
	ck_assert_int_eq(delivered(""), 0);
	sv_result_free(&r);
	s.real->close(s.real);
	s2.real->close(s2.real);
}
END_TEST

/* redirect-envelope-from: each rule, and a null sender stays null. */
START_TEST(test_redirect_sender)
{
	struct sv_envelope env = {.from = "s@example.org", .to = "to@example.org",
				  .orig_to = "orig@example.org", .final_to = "final@example.org"};
	struct sv_buf b = SV_BUF_INIT;
	const char *um = "user@example.org", *pm = "postmaster@example.org";
	ck_assert_str_eq(sv_dlv_redirect_sender("sender", &env, um, pm, &b), "s@example.org");
	ck_assert_str_eq(sv_dlv_redirect_sender(NULL, &env, um, pm, &b), "s@example.org");
	ck_assert_str_eq(sv_dlv_redirect_sender("recipient", &env, um, pm, &b), "final@example.org");
	ck_assert_str_eq(sv_dlv_redirect_sender("orig_recipient", &env, um, pm, &b),
			 "orig@example.org");
	ck_assert_str_eq(sv_dlv_redirect_sender("user_email", &env, um, pm, &b), um);
	ck_assert_str_eq(sv_dlv_redirect_sender("postmaster", &env, um, pm, &b), pm);
	ck_assert_str_eq(sv_dlv_redirect_sender("<fwd@example.net>", &env, um, pm, &b),
			 "fwd@example.net");
	env.from = "";
	ck_assert_str_eq(sv_dlv_redirect_sender("postmaster", &env, um, pm, &b), "");
	ck_assert_str_eq(sv_dlv_redirect_sender("<fwd@example.net>", &env, um, pm, &b), "");
	sv_buf_free(&b);
	/* the setting refuses what it cannot use */
	ck_assert(sv_redirect_from_valid("<a@b>"));
	ck_assert(!sv_redirect_from_valid("<a b>"));
	ck_assert(!sv_redirect_from_valid("someone"));
	ck_assert(!sv_redirect_from_valid("<>x"));
}
END_TEST

/* The executor sends with the sender it is given, the null sender never
 * replaced. */
START_TEST(test_redirect_uses_sender)
{
	struct spy s;
	spy_init(&s);
	struct sv_outbox ob;
	sv_outbox_init(&ob, NULL);
	struct sv_envelope env = {.from = "s@example.org"};
	struct sv_exec_ctx c;
	ctx_init(&c, &s.base, sv_outbox_submission(&ob));
	c.env = &env;
	c.redirect_from = "owner@example.org";
	struct sv_result r;
	sv_result_init(&r, NULL);
	add(&r, &sv_action_redirect, "x@example.net");
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_OK);
	ck_assert_int_eq(ob.n, 1);
	ck_assert_str_eq(ob.v[0].from, "owner@example.org");
	sv_result_free(&r);
	env.from = "";
	sv_result_init(&r, NULL);
	add(&r, &sv_action_redirect, "y@example.net");
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_OK);
	ck_assert_int_eq(ob.n, 2);
	ck_assert_str_eq(ob.v[1].from, "");
	sv_result_free(&r);
	sv_outbox_free(&ob);
	s.real->close(s.real);
}
END_TEST

/* A redirected copy loses the Return-Path of the final delivery (RFC 5321
 * §4.4), folded or not, and nothing else; the body is untouched. */
START_TEST(test_redirect_drops_return_path)
{
	struct spy s;
	spy_init(&s);
	struct sv_outbox ob;
	sv_outbox_init(&ob, NULL);
	struct sv_exec_ctx c;
	ctx_init(&c, &s.base, sv_outbox_submission(&ob));
	c.recipient = "me@example.org";
	static const char m[] = "Return-Path: <a@x>\nDelivered-To: me@example.org\n"
				"return-path :\n <b@x>\nSubject: a\n\nReturn-Path: <body@x>\n";
	c.msg = m;
	c.len = sizeof m - 1;
	struct sv_result r;
	sv_result_init(&r, NULL);
	add(&r, &sv_action_redirect, "you@example.net");
	ck_assert_int_eq(sv_dlv_execute(&r, &c, true), SV_OK);
	ck_assert_int_eq(ob.n, 1);
	ck_assert_str_eq(ob.v[0].msg, "X-Sieve-Redirected-From: <me@example.org>\n"
				      "Delivered-To: me@example.org\nSubject: a\n\n"
				      "Return-Path: <body@x>\n");
	sv_result_free(&r);
	sv_outbox_free(&ob);
	s.real->close(s.real);
}
END_TEST

/* Who the envelope is, by the precedence of ../shared/notes/lda.md. */
START_TEST(test_lda_envelope)
{
	struct sv_buf b = SV_BUF_INIT;
	struct sv_lda_envelope e;
	/* options win over everything */
	struct sv_lda_sources in = {.opt_from = "<f@x>", .opt_orig = "a@x", .opt_final = "r@x",
				    .env_sender = "s@x", .env_orig = "o@x", .env_recipient = "R@x",
				    .from_line = "l@x", .return_path = "p@x", .user = "u",
				    .host = "h"};
	sv_lda_envelope(&in, &e, &b);
	ck_assert_str_eq(e.from, "f@x");
	ck_assert_str_eq(e.orig_to, "a@x");
	ck_assert_str_eq(e.final_to, "r@x");
	/* then Postfix's environment */
	in.opt_from = in.opt_orig = in.opt_final = NULL;
	sv_lda_envelope(&in, &e, &b);
	ck_assert_str_eq(e.from, "s@x");
	ck_assert_str_eq(e.orig_to, "o@x");
	ck_assert_str_eq(e.final_to, "R@x");
	/* an empty $SENDER is the null sender, not "nothing said" */
	in.env_sender = "";
	sv_lda_envelope(&in, &e, &b);
	ck_assert_str_eq(e.from, "");
	/* then the From line, then Return-Path */
	in.env_sender = NULL;
	sv_lda_envelope(&in, &e, &b);
	ck_assert_str_eq(e.from, "l@x");
	in.from_line = NULL;
	sv_lda_envelope(&in, &e, &b);
	ck_assert_str_eq(e.from, "p@x");
	in.return_path = NULL;
	sv_lda_envelope(&in, &e, &b);
	ck_assert_ptr_null(e.from);
	/* -f "<>" and -f "" are the null sender */
	in.opt_from = "<>";
	sv_lda_envelope(&in, &e, &b);
	ck_assert_str_eq(e.from, "");
	in.opt_from = "";
	sv_lda_envelope(&in, &e, &b);
	ck_assert_str_eq(e.from, "");
	/* the original recipient falls back to the final one; empty pipe(8)
	   macros say nothing */
	in.env_orig = "";
	in.opt_orig = "";
	sv_lda_envelope(&in, &e, &b);
	ck_assert_str_eq(e.orig_to, "R@x");
	ck_assert_str_eq(e.final_to, "R@x");
	/* the final recipient falls back to the original one */
	in.env_recipient = NULL;
	in.opt_orig = "<a@x>";
	sv_lda_envelope(&in, &e, &b);
	ck_assert_str_eq(e.orig_to, "a@x");
	ck_assert_str_eq(e.final_to, "a@x");
	/* nothing at all: user@host */
	in.opt_orig = NULL;
	in.env_orig = NULL;
	sv_lda_envelope(&in, &e, &b);
	ck_assert_str_eq(e.orig_to, "u@h");
	ck_assert_str_eq(e.final_to, "u@h");
	sv_buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("delivery");
	TCase *tc = tcase_create("transaction");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_maildir_phases);
	tcase_add_test(tc, test_prepare_all_then_commit);
	tcase_add_test(tc, test_tempfail_leaves_nothing);
	tcase_add_test(tc, test_bad_mailbox_falls_back_to_inbox);
	tcase_add_test(tc, test_sends_after_stores);
	tcase_add_test(tc, test_failed_redirect_keeps);
	tcase_add_test(tc, test_tempfail_abandons_sends);
	tcase_add_test(tc, test_discard_files_nothing);
	tcase_add_test(tc, test_redirect_loops);
	tcase_add_test(tc, test_keep_mailbox);
	tcase_add_test(tc, test_limit_rejects_all);
	tcase_add_test(tc, test_redirect_sender);
	tcase_add_test(tc, test_redirect_uses_sender);
	tcase_add_test(tc, test_lda_envelope);
	tcase_add_test(tc, test_redirect_drops_return_path);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
