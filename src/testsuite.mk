## The test-suite runner (TESTSUITE.md) and the delivery code it executes
## results with (the LDA uses the same code).
libsiftcore_la_SOURCES += \
	src/delivery/execute.c src/delivery/execute.h \
	src/delivery/maildir.c src/delivery/maildir.h \
	src/delivery/outbox.c src/delivery/outbox.h \
	src/ext/testsuite.c src/ext/testsuite.h

bin_PROGRAMS += sieve-testsuite
sieve_testsuite_SOURCES = src/tools/sieve-testsuite.c
sieve_testsuite_LDADD = $(SIFT_PROGRAM_LIBS)
sieve_testsuite_LDFLAGS = $(AM_LDFLAGS) $(PROGRAM_LDFLAGS)
