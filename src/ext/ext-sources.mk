## Generated from src/ext/ext-list.def by src/ext/ext-sources.sh: do not edit.
libsiftcore_la_SOURCES += \
	src/ext/core.c \
	src/ext/fileinto.c \
	src/ext/envelope.c \
	src/ext/encoded-character.c \
	src/ext/copy.c \
	src/ext/variables.c \
	src/ext/relational.c \
	src/ext/ascii-numeric.c \
	src/ext/subaddress.c \
	src/ext/imap4flags.c \
	src/ext/regex.c \
	src/ext/body.c \
	src/ext/environment.c \
	src/ext/unicode-casemap.c \
	src/ext/editheader.c \
	src/ext/date.c \
	src/ext/index.c \
	src/ext/mailbox.c \
	src/ext/mboxmetadata.c \
	src/ext/servermetadata.c \
	src/ext/spamtest.c \
	src/ext/spamtestplus.c \
	src/ext/virustest.c \
	src/ext/ihave.c \
	src/ext/include.c \
	src/ext/vacation.c \
	src/ext/vacation-seconds.c \
	src/ext/duplicate.c \
	src/ext/reject.c \
	src/ext/ereject.c \
	src/ext/enotify.c \
	src/ext/testsuite.c
