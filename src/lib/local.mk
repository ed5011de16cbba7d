## src/lib: arena, buffers, diagnostics, UTF-8, settings and limits
##
## Every folder adds its sources to libsiftcore, a convenience library
## compiled once: the installed shared libsift is made of it, and the
## programs link it statically, since process start-up is part of a
## delivery's latency (DESIGN.md §9: no symbol resolution through a shared
## library, no PLT calls on the hot path).
noinst_LTLIBRARIES += libsiftcore.la
lib_LTLIBRARIES += libsift.la
libsift_la_SOURCES =
nodist_EXTRA_libsift_la_SOURCES = dummy.c
libsift_la_LIBADD = libsiftcore.la libsiftgen.la $(TRE_LIBS)
libsift_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0
SIFT_PROGRAM_LIBS = libsifttool.la libsiftcore.la libsiftgen.la $(TRE_PROGRAM_LIBS)
libsiftcore_la_SOURCES = \
	src/lib/alloc.c src/lib/alloc.h \
	src/lib/arena.c src/lib/arena.h \
	src/lib/buf.c src/lib/buf.h \
	src/lib/diag.c src/lib/diag.h \
	src/lib/limits.c src/lib/limits.h \
	src/lib/status.c src/lib/status.h \
	src/lib/unicode-casemap.c src/lib/unicode-casemap.h \
	src/lib/unicode-casemap-int.h src/lib/unicode-casemap-table.c \
	src/lib/utf8.c src/lib/utf8.h
libsiftcore_la_CFLAGS = $(AM_CFLAGS) $(TRE_CFLAGS)
siftlibincludedir = $(siftincludedir)/lib
siftlibinclude_HEADERS = \
	src/lib/alloc.h src/lib/arena.h src/lib/buf.h src/lib/diag.h src/lib/limits.h \
	src/lib/status.h src/lib/utf8.h
