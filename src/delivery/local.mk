## src/delivery: carrying out results (DESIGN.md §4, §7): the transaction,
## the mail stores, the submission back-ends. The test-suite runner and the
## LDA use the same code.
libsiftcore_la_SOURCES += \
	src/delivery/config.h \
	src/delivery/execute.c src/delivery/execute.h \
	src/delivery/lda.c src/delivery/lda.h \
	src/delivery/maildir.c src/delivery/maildir.h \
	src/delivery/mbox.c src/delivery/mbox.h \
	src/delivery/outbox.c src/delivery/outbox.h \
	src/delivery/run.c src/delivery/run.h \
	src/delivery/store.c src/delivery/store.h \
	src/delivery/submit.c src/delivery/submit.h
