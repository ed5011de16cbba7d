## src/parser: re2c lexer, bison grammar, AST, validator, code generator
##
## The generated scanner and parser are built in their own convenience
## library with relaxed warnings (STYLE.md); they are distributed, so a
## release tarball builds without re2c or bison.
noinst_LTLIBRARIES += libsiftgen.la
libsiftgen_la_SOURCES = src/parser/lexer.c src/parser/grammar.c src/parser/grammar.h
libsiftgen_la_CFLAGS = -std=gnu11 -Wall -Wno-unused-function -Wno-unused-parameter $(SAN_CFLAGS)
EXTRA_DIST += src/parser/lexer.re src/parser/grammar.y
BUILT_SOURCES += src/parser/grammar.c src/parser/grammar.h src/parser/lexer.c
MAINTAINERCLEANFILES += src/parser/grammar.c src/parser/grammar.h src/parser/lexer.c

$(srcdir)/src/parser/grammar.c $(srcdir)/src/parser/grammar.h: $(srcdir)/src/parser/grammar.y
	$(AM_V_GEN)if test -z "$(BISON)"; then echo "bison is needed to build grammar.c" >&2; exit 1; fi; \
	$(BISON) -Wall -Werror --defines=$(srcdir)/src/parser/grammar.h \
		-o $(srcdir)/src/parser/grammar.c $(srcdir)/src/parser/grammar.y

$(srcdir)/src/parser/lexer.c: $(srcdir)/src/parser/lexer.re $(srcdir)/src/parser/grammar.h
	$(AM_V_GEN)if test -z "$(RE2C)"; then echo "re2c is needed to build lexer.c" >&2; exit 1; fi; \
	$(RE2C) -W -Werror --no-generation-date --no-version -8 --input-encoding utf8 \
		-o $@ $(srcdir)/src/parser/lexer.re

libsiftcore_la_SOURCES += \
	src/parser/ast.c src/parser/ast.h \
	src/parser/lex.h \
	src/parser/validate.c src/parser/validate.h \
	src/parser/codegen.c src/parser/codegen.h \
	src/parser/compile.c src/parser/compile.h
libsiftcore_la_SOURCES += src/parser/script.c src/parser/script.h
siftparserincludedir = $(siftincludedir)/parser
siftparserinclude_HEADERS = src/parser/ast.h src/parser/compile.h src/parser/script.h
