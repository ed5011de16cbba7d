## tests/deliver: sieve-deliver under faults, concurrency and privileges
## (issue 7, "Tests that must exist"). Shell tests over the built program
## (or $SIEVE_DELIVER); lib.sh is what they share, faultfs.c the
## LD_PRELOAD shim faults.sh builds at run time ($CC from the environment,
## else cc). Tests that need root (tmpfs, users, -d) skip without it.
TESTS += tests/deliver/faults.sh tests/deliver/concurrency.sh tests/deliver/privileges.sh \
	tests/deliver/session.sh
dist_noinst_SCRIPTS += tests/deliver/faults.sh tests/deliver/concurrency.sh \
	tests/deliver/privileges.sh tests/deliver/session.sh tests/deliver/lib.sh
EXTRA_DIST += tests/deliver/faultfs.c
