## src/ext: the registry and one file per extension (ext-list.def lists them)
libsiftcore_la_SOURCES += \
	src/ext/registry.c src/ext/registry.h src/ext/ext-list.def \
	src/ext/core.c \
	src/ext/ascii-numeric.c \
	src/ext/body.c \
	src/ext/copy.c \
	src/ext/encoded-character.c \
	src/ext/environment.c \
	src/ext/envelope.c \
	src/ext/fileinto.c \
	src/ext/imap4flags.c \
	src/ext/regex.c src/ext/regex-cost.c src/ext/regex-int.h \
	src/ext/relational.c \
	src/ext/subaddress.c \
	src/ext/variables.c
siftextincludedir = $(siftincludedir)/ext
siftextinclude_HEADERS = src/ext/registry.h src/ext/ext-list.def
