## tests/unit: the parser's unit suites (lexer, grammar, diagnostics), Check.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_lexer tests/unit/check_parser tests/unit/check_diag
TESTS += tests/unit/check_lexer tests/unit/check_parser tests/unit/check_diag

tests_unit_check_lexer_SOURCES = tests/unit/check_lexer.c
tests_unit_check_lexer_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_lexer_LDADD = libsift.la $(CHECK_LIBS)

tests_unit_check_parser_SOURCES = tests/unit/check_parser.c
tests_unit_check_parser_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_parser_LDADD = libsift.la $(CHECK_LIBS)

tests_unit_check_diag_SOURCES = tests/unit/check_diag.c
tests_unit_check_diag_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_diag_LDADD = libsift.la $(CHECK_LIBS)
endif
