## tests/unit: the core engine (registry, validator, verifier, VM, result)
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_core
TESTS += tests/unit/check_core

tests_unit_check_core_SOURCES = tests/unit/check_core.c
tests_unit_check_core_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_core_LDADD = libsift.la $(CHECK_LIBS)
endif

## the header source of header, address, exists and date
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_headers
TESTS += tests/unit/check_headers

tests_unit_check_headers_SOURCES = tests/unit/check_headers.c
tests_unit_check_headers_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_headers_LDADD = libsift.la $(CHECK_LIBS)
endif

## the delivery transaction and the Maildir store's two phases
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_delivery
TESTS += tests/unit/check_delivery

tests_unit_check_delivery_SOURCES = tests/unit/check_delivery.c
tests_unit_check_delivery_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_delivery_LDADD = libsift.la $(CHECK_LIBS)
endif

## the scripts of a delivery and the compiled-script cache
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_scripts
TESTS += tests/unit/check_scripts

tests_unit_check_scripts_SOURCES = tests/unit/check_scripts.c
tests_unit_check_scripts_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_scripts_LDADD = libsift.la $(CHECK_LIBS)
endif

## sift.conf: every key, the layers, the errors, path expansion
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_config
TESTS += tests/unit/check_config

tests_unit_check_config_SOURCES = tests/unit/check_config.c
tests_unit_check_config_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_config_LDADD = libsift.la $(CHECK_LIBS)
endif

## the submission back-ends: sendmail pipe (against a stub) and SMTP
## (against tests/tools/smtp-sink.py, STARTTLS with certificates made by
## openssl at test time)
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_submit
TESTS += tests/unit/check_submit

tests_unit_check_submit_SOURCES = tests/unit/check_submit.c
tests_unit_check_submit_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -DSV_TOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_check_submit_LDADD = libsift.la $(CHECK_LIBS)
endif
EXTRA_DIST += tests/tools/smtp-sink.py
## the mail stores: locations, Maildir names and quota, mbox
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_store
TESTS += tests/unit/check_store

tests_unit_check_store_SOURCES = tests/unit/check_store.c
tests_unit_check_store_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_store_LDADD = libsift.la $(CHECK_LIBS)
endif

## the state store (vacation, duplicate): every back-end behind one table
## of tests; the Redis cases start a redis-server of their own (SKIP line
## when it is not installed)
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_state
TESTS += tests/unit/check_state

tests_unit_check_state_SOURCES = tests/unit/check_state.c
tests_unit_check_state_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_state_LDADD = libsift.la $(CHECK_LIBS)
endif

## the metadata service (mboxmetadata, servermetadata): entry names, the
## file format, the test double
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_metadata
TESTS += tests/unit/check_metadata

tests_unit_check_metadata_SOURCES = tests/unit/check_metadata.c
tests_unit_check_metadata_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_metadata_LDADD = libsift.la $(CHECK_LIBS)
endif
