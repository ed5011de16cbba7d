## tests/unit: the message model (src/mail)
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_message tests/unit/check_address \
	tests/unit/check_rfc2047 tests/unit/check_mime tests/unit/check_compose \
	tests/unit/check_date
check_PROGRAMS += tests/unit/check_msg_versions
TESTS += tests/unit/check_msg_versions
TESTS += tests/unit/check_message tests/unit/check_address \
	tests/unit/check_rfc2047 tests/unit/check_mime tests/unit/check_compose \
	tests/unit/check_date

tests_unit_check_message_SOURCES = tests/unit/check_message.c
tests_unit_check_message_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_message_LDADD = libsift.la $(CHECK_LIBS)

tests_unit_check_address_SOURCES = tests/unit/check_address.c
tests_unit_check_address_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_address_LDADD = libsift.la $(CHECK_LIBS)

tests_unit_check_rfc2047_SOURCES = tests/unit/check_rfc2047.c
tests_unit_check_rfc2047_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_rfc2047_LDADD = libsift.la $(CHECK_LIBS)

tests_unit_check_mime_SOURCES = tests/unit/check_mime.c
tests_unit_check_mime_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_mime_LDADD = libsift.la $(CHECK_LIBS)

tests_unit_check_compose_SOURCES = tests/unit/check_compose.c
tests_unit_check_compose_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_compose_LDADD = libsift.la $(CHECK_LIBS)

tests_unit_check_msg_versions_SOURCES = tests/unit/check_msg_versions.c
tests_unit_check_msg_versions_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_msg_versions_LDADD = libsift.la $(CHECK_LIBS)
tests_unit_check_date_SOURCES = tests/unit/check_date.c
tests_unit_check_date_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_date_LDADD = libsift.la $(CHECK_LIBS)
endif
