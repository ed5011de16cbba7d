## src/delivery: carrying out results (DESIGN.md §4, §7): the transaction,
## the mail stores, the submission back-ends, sift.conf. The test-suite
## runner and the LDA use the same code.
libsiftcore_la_SOURCES += \
	src/delivery/config.c src/delivery/config.h \
	src/delivery/execute.c src/delivery/execute.h \
	src/delivery/lda.c src/delivery/lda.h \
	src/delivery/maildir.c src/delivery/maildir.h \
	src/delivery/mbox.c src/delivery/mbox.h \
	src/delivery/metadata.c src/delivery/metadata.h \
	src/delivery/outbox.c src/delivery/outbox.h \
	src/delivery/run.c src/delivery/run.h \
	src/delivery/scripts.c src/delivery/scripts.h \
	src/delivery/sendmail.c src/delivery/sendmail.h \
	src/delivery/state.c src/delivery/state.h \
	src/delivery/smtp.c src/delivery/smtp.h \
	src/delivery/store.c src/delivery/store.h \
	src/delivery/submit.c src/delivery/submit.h src/delivery/submit-int.h \
	src/delivery/tls.c src/delivery/tls.h
# sift.conf is read with libinih (config.c), wired like TRE (src/lib/local.mk)
libsiftcore_la_CFLAGS += $(INIH_CFLAGS)
libsift_la_LIBADD += $(INIH_LIBS)
SIFT_PROGRAM_LIBS += $(INIH_PROGRAM_LIBS)
