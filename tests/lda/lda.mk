## tests/lda: end-to-end delivery. Real mail through a private Postfix and
## a private Exim on 127.0.0.1 into sieve-deliver, checked in the Maildir,
## with a full disk to show a temporary failure is retried and delivered
## once. Root only (system users, a tmpfs mount); SKIP (77) without root or
## without the MTAs (./bootstrap check installs Exim and unpacks Postfix
## into /opt/sift-test/postfix). The configuration snippets come from
## doc/postfix.md and doc/exim.md, which the tests read through $(srcdir).
TESTS += tests/lda/postfix.sh tests/lda/exim.sh
dist_noinst_SCRIPTS += tests/lda/postfix.sh tests/lda/exim.sh
EXTRA_DIST += tests/lda/lib.sh


# tests/hostile caps the time of each case; the MTAs and the deliveries
# here take the other core in bursts, so these start after it is done (a
# dependency between .log files, as the parallel test harness allows).
tests/lda/postfix.sh.log tests/lda/exim.sh.log: tests/hostile/run.sh.log
