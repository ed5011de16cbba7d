## The test-suite runner (TESTSUITE.md); it executes results with the
## delivery code (src/delivery/local.mk).
## (src/ext/testsuite.c is built from ext-list.def, src/ext/local.mk)
libsiftcore_la_SOURCES += src/ext/testsuite.h

bin_PROGRAMS += sieve-testsuite
sieve_testsuite_SOURCES = src/tools/sieve-testsuite.c
sieve_testsuite_LDADD = $(SIFT_PROGRAM_LIBS)
sieve_testsuite_LDFLAGS = $(AM_LDFLAGS) $(PROGRAM_LDFLAGS)
