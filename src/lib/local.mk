## src/lib: arena, buffers, diagnostics, UTF-8, settings and limits
lib_LTLIBRARIES += libsift.la
libsift_la_SOURCES = \
	src/lib/alloc.c src/lib/alloc.h \
	src/lib/arena.c src/lib/arena.h \
	src/lib/buf.c src/lib/buf.h \
	src/lib/diag.c src/lib/diag.h \
	src/lib/limits.c src/lib/limits.h \
	src/lib/status.c src/lib/status.h \
	src/lib/utf8.c src/lib/utf8.h
libsift_la_LIBADD = libsiftgen.la $(TRE_LIBS)
libsift_la_CFLAGS = $(AM_CFLAGS) $(TRE_CFLAGS)
libsift_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0
siftlibincludedir = $(siftincludedir)/lib
siftlibinclude_HEADERS = \
	src/lib/alloc.h src/lib/arena.h src/lib/buf.h src/lib/diag.h src/lib/limits.h \
	src/lib/status.h src/lib/utf8.h
