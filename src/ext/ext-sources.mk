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
	src/ext/reject.c \
	src/ext/ereject.c \
	src/ext/enotify.c \
	src/ext/testsuite.c
