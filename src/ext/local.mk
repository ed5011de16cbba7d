## src/ext: the registry and one file per extension. The extensions' own
## files come from ext-list.def (ext-sources.mk, made by ext-sources.sh and
## remade when the list changes); the files an extension has beside its
## main one are listed here.
include src/ext/ext-sources.mk
libsiftcore_la_SOURCES += \
	src/ext/registry.c src/ext/registry.h src/ext/ext-list.def \
	src/ext/regex-cost.c src/ext/regex-int.h \
	src/ext/metadata.c src/ext/metadata-int.h \
	src/ext/spamtest-int.h
siftextincludedir = $(siftincludedir)/ext
siftextinclude_HEADERS = src/ext/registry.h src/ext/ext-list.def
EXTRA_DIST += src/ext/ext-sources.sh src/ext/ext-sources.mk
$(srcdir)/src/ext/ext-sources.mk: $(srcdir)/src/ext/ext-list.def $(srcdir)/src/ext/ext-sources.sh
	$(AM_V_GEN)$(SHELL) $(srcdir)/src/ext/ext-sources.sh $(srcdir)/src/ext/ext-list.def > $@.tmp && \
	mv -f $@.tmp $@

## reject and ereject (RFC 5429): the refusal API sieve-deliver -e uses;
## enotify (RFC 5435): the method table and the mailto method (RFC 5436)
libsiftcore_la_SOURCES += src/ext/reject.h src/ext/enotify.h src/ext/enotify-mailto.c
