## src/mail: the message model: reading, header index, RFC 2047, addresses,
## MIME tree (DESIGN.md §4)
libsiftcore_la_SOURCES += \
	src/mail/message.c src/mail/message.h \
	src/mail/mail-private.h \
	src/mail/rfc2047.c \
	src/mail/address.c \
	src/mail/mime.c \
	src/mail/compose.c src/mail/compose.h \
	src/mail/date.c src/mail/date.h
siftmailincludedir = $(siftincludedir)/mail
siftmailinclude_HEADERS = src/mail/message.h src/mail/compose.h src/mail/date.h
