## tests/unit: i;unicode-casemap (RFC 5051): the prepared forms, the
## comparator and :matches keys; the committed table against its generator
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_unicode_casemap
TESTS += tests/unit/check_unicode_casemap

tests_unit_check_unicode_casemap_SOURCES = tests/unit/check_unicode_casemap.c
tests_unit_check_unicode_casemap_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_unicode_casemap_LDADD = libsift.la $(CHECK_LIBS)
endif
TESTS += tests/unit/unicode-table.sh
EXTRA_DIST += tests/unit/unicode-table.sh scripts/gen-unicode-casemap.py
