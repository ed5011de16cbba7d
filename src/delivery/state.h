/*
 * state.h: the state store (DESIGN.md §3, §7): what a user's deliveries
 * remember between messages, for the vacation (RFC 5230, RFC 6131) and
 * duplicate (RFC 7352) extensions: "a reply went to this sender", "a
 * message with this id was delivered". Each fact is a mark: a namespace
 * ("vacation", "duplicate"), a key of arbitrary bytes and the time the
 * mark ends.
 *
 * Writes are two-phase like filing and sending (DESIGN.md §4): a mark is
 * recorded in the handle's pending transaction and written by commit, in
 * the executor's state phase, after the stores and the sends; rollback
 * drops it. A claim takes a key for one delivery at once (a reservation
 * other deliveries see), so that two deliveries running at the same time
 * never both decide "not seen".
 *
 * Back-ends, by location: SQLite (one database file per user, the
 * default), Redis (a server a fleet of MX hosts shares) and an in-memory
 * test double. SQLite and hiredis are loaded with dlopen() when the first
 * such location is opened, never at start-up.
 *
 * Which call when:
 * - vacation: in the vacation action's prepare, sv_dlv_state_claim(st,
 *   "vacation", key, klen, now, now + days, &won, err); won: compose and
 *   prepare the reply; not won: no reply (one went out within the period,
 *   or another delivery is sending it). The executor's state phase calls
 *   sv_dlv_state_commit after the reply has been handed over; a rollback
 *   of the delivery calls sv_dlv_state_rollback, which releases the
 *   reservation, so the MTA's retry replies.
 * - duplicate: when the test runs, sv_dlv_state_claim(st, "duplicate",
 *   id, idlen, now, now + seconds, &won, err); the test is true when not
 *   won. With :last, a duplicate also calls sv_dlv_state_mark to move the
 *   end of the mark. The id is recorded only if the delivery commits
 *   (DESIGN.md §4: state only for what really happened); a second copy
 *   arriving meanwhile waits for the first delivery's outcome instead of
 *   guessing.
 * - sv_dlv_state_check never writes: for dry runs (sieve-test) and
 *   questions that need no reservation.
 * - SV_TEMPFAIL from any call: the delivery fails temporarily (the LDA
 *   exits 75) so that the MTA retries; nothing was written.
 */
#ifndef SV_STATE_H
#define SV_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/status.h"

/* One user's state, opened for one delivery (one thread at a time). */
struct sv_state;
/* The marks and claims a handle has recorded and not yet committed. */
struct sv_state_txn;

/* How a state store is opened (sift.conf's state keys). */
struct sv_state_opts {
	/* The user the state belongs to. Part of every Redis key, so users
	 * sharing a server never see each other's marks: required for Redis,
	 * unused by SQLite (the file is the user's). */
	const char *user;
	/* Redis: the first part of every key (default "sift"); a location's
	 * ?prefix= wins over it. */
	const char *prefix;
	/* SQLite: how long a write waits for another delivery's (ms). */
	unsigned busy_timeout_ms;
	/* Redis: how long connecting and each command may take (ms). */
	unsigned timeout_ms;
	/* sv_dlv_state_claim: how long to wait for another delivery's
	 * reservation of the same key to be committed or released (ms);
	 * then SV_TEMPFAIL. 0: do not wait. */
	unsigned claim_wait_ms;
	/* Seconds a reservation lives without commit or rollback (its
	 * delivery was killed) before another claim may take the key over;
	 * it must be longer than any delivery takes. */
	unsigned claim_lease;
	/* SQLite, mem: at most this many expired marks are deleted per
	 * write, so a write's cost does not grow with the store. */
	unsigned purge_batch;
	/* The delivery's fixed now (DESIGN.md §3), for what a commit works
	 * out by itself: which marks have ended (purge) and Redis expiry
	 * times. 0: the clock at open. check and claim set it again to the
	 * now they are given. */
	time_t now;
	/* What open repaired, for the caller's log (a corrupt SQLite
	 * database moved aside and a new one started); NULL: not told. */
	void (*warn)(void *ctx, const char *text);
	void *warn_ctx;
};

/* The defaults: no user, prefix "sift", busy timeout 10 s, Redis timeout
 * 5 s, claim wait 10 s, lease 3600 s, purge batch 64, now 0, no warn. */
void sv_state_opts_init(struct sv_state_opts *o);

/*
 * Open the state store a location names:
 * - "sqlite:PATH": a database file (absolute PATH, already expanded, such
 *   as /home/u/.sift/state.db). A missing parent folder is made, 0700;
 *   the file is made 0600. A file that is not a database, or one SQLite
 *   finds damaged, is renamed aside (PATH.corrupt-TIME-PID, its -wal
 *   beside it) and a new one is started: the open succeeds and says so
 *   through o->warn. Damage a later call meets is handled the same way,
 *   and that call fails with SV_TEMPFAIL (the same text in err, "try
 *   again"), so that the MTA's retry runs on the new database. What the
 *   state forgets that way is at most a second vacation reply or a
 *   duplicate delivered twice; mail is never lost or held back for it.
 * - "redis:HOST:PORT[/DB][?OPTIONS]", "redis:[IPV6]:PORT[/DB][?OPTIONS]"
 *   or "redis:unix:/PATH/SOCKET[?OPTIONS]": a Redis server; OPTIONS are
 *   "&"-separated prefix=P, db=N, password=S (AUTH). The port defaults
 *   to 6379. Keys are PREFIX:{USER}:NAMESPACE:KEY.
 * - "mem:NAME": the in-memory test double; handles of one NAME in one
 *   process share their marks (until the process ends), so two handles
 *   can play two deliveries.
 * o NULL: the defaults. SV_FAIL, with the reason in err, for a location
 * that cannot be understood or options that cannot work (Redis without a
 * user): a configuration error, which the LDA reports and defers like an
 * invalid sift.conf. SV_TEMPFAIL for everything that may work later: the
 * library cannot be loaded, the folder or file cannot be made, the
 * database is locked, the server is down or does not answer in time.
 */
enum sv_status sv_dlv_state_open(const char *location, const struct sv_state_opts *o,
                                 struct sv_state **st_r, struct sv_buf *err);

/*
 * Is there a committed mark for (ns, key) that ends after now? Neither
 * this handle's pending writes nor another delivery's reservation count.
 * ns: 1 to 64 characters of [A-Za-z0-9._-] (SV_FAIL otherwise); key: 1
 * to 65536 bytes, any (SV_FAIL otherwise). Marks are compared with the
 * caller's now, not a server's clock, so a fixed "now" works everywhere.
 */
enum sv_status sv_dlv_state_check(struct sv_state *st, const char *ns, const void *key, size_t klen,
                                  time_t now, bool *seen_r, struct sv_buf *err);

/* Record a mark for (ns, key) ending at expires_at in the pending
 * transaction; nothing is written until commit. A second mark or claim
 * of the same key in one transaction sets its end again. SV_FAIL for an
 * invalid ns or key. */
enum sv_status sv_dlv_state_mark(struct sv_state *st, const char *ns, const void *key, size_t klen,
                                 time_t expires_at, struct sv_buf *err);

/*
 * Check and mark at once, safe against concurrent deliveries: atomically,
 * when (ns, key) has no mark ending after now and no live reservation of
 * another delivery, reserve it for this handle (written at once, visible
 * to every other claim) and answer *won_r = true; commit turns the
 * reservation into a mark ending at expires_at, rollback (or close)
 * releases it. A committed mark that ends after now: *won_r = false.
 * Another delivery's reservation: wait (o->claim_wait_ms) for it to be
 * committed (*won_r = false) or released (the claim is tried again);
 * still held after the wait: SV_TEMPFAIL. A reservation older than
 * o->claim_lease seconds is taken over. A key this handle holds already:
 * *won_r = true again.
 */
enum sv_status sv_dlv_state_claim(struct sv_state *st, const char *ns, const void *key, size_t klen,
                                  time_t now, time_t expires_at, bool *won_r, struct sv_buf *err);

/* Write every pending mark and turn every reservation of this handle into
 * a mark, atomically: all or none. SV_TEMPFAIL when that failed (nothing
 * was written; the pending transaction is kept for rollback). */
enum sv_status sv_dlv_state_commit(struct sv_state *st, struct sv_buf *err);

/* Drop the pending marks and release this handle's reservations. A
 * release that fails (the server went away) leaves the reservation until
 * its lease ends: other claims of the key defer meanwhile, so nothing is
 * lost or done twice. */
void sv_dlv_state_rollback(struct sv_state *st);

/* Roll back what is pending and close (NULL: nothing). */
void sv_dlv_state_close(struct sv_state *st);

/* The marks pending in the handle's transaction (claims included). */
size_t sv_dlv_state_pending(const struct sv_state *st);

#endif
