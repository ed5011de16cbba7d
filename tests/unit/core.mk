## tests/unit: the core engine (registry, validator, verifier, VM, result)
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_core
TESTS += tests/unit/check_core

tests_unit_check_core_SOURCES = tests/unit/check_core.c
tests_unit_check_core_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_core_LDADD = libsift.la $(CHECK_LIBS)
endif
