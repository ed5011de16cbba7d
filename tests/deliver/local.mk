## tests/deliver: sieve-deliver under faults, concurrency and privileges
## (issue 7, "Tests that must exist"). Shell tests over the built program
## (or $SIEVE_DELIVER); lib.sh is what they share, faultfs.c the
## LD_PRELOAD shim faults.sh builds at run time ($CC from the environment,
## else cc). Tests that need root (tmpfs, users, -d) skip without it.
TESTS += tests/deliver/faults.sh tests/deliver/concurrency.sh tests/deliver/privileges.sh \
	tests/deliver/session.sh tests/deliver/include.sh
dist_noinst_SCRIPTS += tests/deliver/faults.sh tests/deliver/concurrency.sh \
	tests/deliver/privileges.sh tests/deliver/session.sh tests/deliver/lib.sh \
	tests/deliver/include.sh

## editheader (RFC 5293): each copy files the version it was recorded with
TESTS += tests/deliver/editheader.sh
dist_noinst_SCRIPTS += tests/deliver/editheader.sh
EXTRA_DIST += tests/deliver/faultfs.c

## reject and ereject (RFC 5429) carried out: an MDN, or -e's refusal
TESTS += tests/deliver/reject.sh
dist_noinst_SCRIPTS += tests/deliver/reject.sh

## the state store under concurrent claims: state-claim is one delivery's
## claim as a process of its own (linked statically, as the programs are)
TESTS += tests/deliver/state-concurrency.sh
dist_noinst_SCRIPTS += tests/deliver/state-concurrency.sh
check_PROGRAMS += tests/deliver/state-claim
tests_deliver_state_claim_SOURCES = tests/deliver/state-claim.c
tests_deliver_state_claim_LDADD = libsiftcore.la libsiftgen.la $(TRE_PROGRAM_LIBS) \
	$(INIH_PROGRAM_LIBS)

## the mailbox and metadata extensions in a delivery: annotation files,
## RFC 5490 §5's retry, fileinto :create under mailbox-autocreate = no
TESTS += tests/deliver/metadata.sh
dist_noinst_SCRIPTS += tests/deliver/metadata.sh
## vacation and duplicate through sieve-deliver, on SQLite and Redis
## (state-claim gives a free port and waits for the server)
TESTS += tests/deliver/vacation.sh
dist_noinst_SCRIPTS += tests/deliver/vacation.sh
