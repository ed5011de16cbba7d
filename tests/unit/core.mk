## tests/unit: the core engine (registry, validator, verifier, VM, result)
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_core
TESTS += tests/unit/check_core

tests_unit_check_core_SOURCES = tests/unit/check_core.c
tests_unit_check_core_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_core_LDADD = libsift.la $(CHECK_LIBS)
endif

## the delivery transaction and the Maildir store's two phases
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_delivery
TESTS += tests/unit/check_delivery

tests_unit_check_delivery_SOURCES = tests/unit/check_delivery.c
tests_unit_check_delivery_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_delivery_LDADD = libsift.la $(CHECK_LIBS)
endif

## the mail stores: locations, Maildir names and quota, mbox
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_store
TESTS += tests/unit/check_store

tests_unit_check_store_SOURCES = tests/unit/check_store.c
tests_unit_check_store_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_store_LDADD = libsift.la $(CHECK_LIBS)
endif
