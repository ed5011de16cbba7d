## src/tools: one thin main() per program over libsift
noinst_LTLIBRARIES += libsifttool.la
libsifttool_la_SOURCES = src/tools/common.c src/tools/common.h

bin_PROGRAMS += sievec sieve-dump sieve-test
sievec_SOURCES = src/tools/sievec.c
sievec_LDADD = $(SIFT_PROGRAM_LIBS)
sievec_LDFLAGS = $(AM_LDFLAGS) $(PROGRAM_LDFLAGS)
sieve_dump_SOURCES = src/tools/sieve-dump.c
sieve_dump_LDADD = $(SIFT_PROGRAM_LIBS)
sieve_dump_LDFLAGS = $(AM_LDFLAGS) $(PROGRAM_LDFLAGS)
sieve_test_SOURCES = src/tools/sieve-test.c
sieve_test_LDADD = $(SIFT_PROGRAM_LIBS)
sieve_test_LDFLAGS = $(AM_LDFLAGS) $(PROGRAM_LDFLAGS)

bin_PROGRAMS += sieve-deliver
sieve_deliver_SOURCES = src/tools/sieve-deliver.c
sieve_deliver_CPPFLAGS = $(AM_CPPFLAGS) -DSIFT_SYSCONFDIR='"$(sysconfdir)"'
sieve_deliver_LDADD = $(SIFT_PROGRAM_LIBS)
sieve_deliver_LDFLAGS = $(AM_LDFLAGS) $(PROGRAM_LDFLAGS)
