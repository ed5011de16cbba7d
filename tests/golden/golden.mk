## tests/golden: golden-output tests of sievec --check and sieve-dump, and
## the examples round trip (scripts/examples), the programs' errors about
## files they cannot use (tool-errors.sh). The runners find the
## programs in the build folder (the working directory of make check) and
## the data through $(srcdir), which the test driver exports. Data files
## are listed one by one: automake cannot distribute wildcards.
TESTS += tests/golden/run-golden.sh tests/golden/examples.sh tests/golden/tool-errors.sh \
	tests/golden/regex-stack.sh
dist_noinst_SCRIPTS += tests/golden/run-golden.sh tests/golden/examples.sh \
	tests/golden/tool-errors.sh tests/golden/regex-stack.sh
EXTRA_DIST += \
	tests/golden/dump/body-encoded.out \
	tests/golden/dump/body-encoded.sieve \
	tests/golden/dump/constant-false.out \
	tests/golden/dump/constant-false.sieve \
	tests/golden/dump/date-index.out \
	tests/golden/dump/date-index.sieve \
	tests/golden/dump/control.out \
	tests/golden/dump/control.sieve \
	tests/golden/dump/editheader.out \
	tests/golden/dump/editheader.sieve \
	tests/golden/dump/fileinto-copy.out \
	tests/golden/dump/fileinto-copy.sieve \
	tests/golden/dump/mailbox-metadata-scanners.out \
	tests/golden/dump/mailbox-metadata-scanners.sieve \
	tests/golden/dump/flags-relational.out \
	tests/golden/dump/flags-relational.sieve \
	tests/golden/dump/include.out \
	tests/golden/dump/include.sieve \
	tests/golden/dump/multiline.out \
	tests/golden/dump/multiline.sieve \
	tests/golden/dump/tests.out \
	tests/golden/dump/tests.sieve \
	tests/golden/dump/unicode-casemap.out \
	tests/golden/dump/unicode-casemap.sieve \
	tests/golden/dump/variables.out \
	tests/golden/dump/variables.sieve \
	tests/golden/errors/annotation-names.out \
	tests/golden/errors/annotation-names.sieve \
	tests/golden/errors/arguments.out \
	tests/golden/errors/arguments.sieve \
	tests/golden/errors/editheader.out \
	tests/golden/errors/editheader.sieve \
	tests/golden/errors/bom-first-line.out \
	tests/golden/errors/bom-middle.out \
	tests/golden/errors/bom-middle.sieve \
	tests/golden/errors/bom-first-line.sieve \
	tests/golden/errors/bom.out \
	tests/golden/errors/bom.sieve \
	tests/golden/errors/comparator.out \
	tests/golden/errors/comparator.sieve \
	tests/golden/errors/elsif-without-if.out \
	tests/golden/errors/elsif-without-if.sieve \
	tests/golden/errors/excerpt-bad-utf8.out \
	tests/golden/errors/excerpt-bad-utf8.sieve \
	tests/golden/errors/excerpt-escapes.out \
	tests/golden/errors/excerpt-escapes.sieve \
	tests/golden/errors/independent-mistakes.out \
	tests/golden/errors/independent-mistakes.sieve \
	tests/golden/errors/index-date.out \
	tests/golden/errors/index-date.sieve \
	tests/golden/errors/lost-require.out \
	tests/golden/errors/lost-require.sieve \
	tests/golden/errors/header-names.out \
	tests/golden/errors/include-names.out \
	tests/golden/errors/include-names.sieve \
	tests/golden/errors/include-self.out \
	tests/golden/errors/include-self.sieve \
	tests/golden/errors/header-names.sieve \
	tests/golden/errors/long-line-end.out \
	tests/golden/errors/long-line-end.sieve \
	tests/golden/errors/long-line-many.out \
	tests/golden/errors/long-line-many.sieve \
	tests/golden/errors/long-line-middle.out \
	tests/golden/errors/long-line-middle.sieve \
	tests/golden/errors/long-line-start.out \
	tests/golden/errors/long-line-start.sieve \
	tests/golden/errors/long-line-utf8.out \
	tests/golden/errors/long-line-utf8.sieve \
	tests/golden/errors/missing-require.out \
	tests/golden/errors/missing-require.sieve \
	tests/golden/errors/number-too-large.out \
	tests/golden/errors/number-too-large.sieve \
	tests/golden/errors/redirect.out \
	tests/golden/errors/redirect.sieve \
	tests/golden/errors/regex.out \
	tests/golden/errors/regex.sieve \
	tests/golden/errors/regex-cost.out \
	tests/golden/errors/regex-cost.sieve \
	tests/golden/errors/require-many-unknown.out \
	tests/golden/errors/require-many-unknown.sieve \
	tests/golden/errors/require-not-first.out \
	tests/golden/errors/require-not-first.sieve \
	tests/golden/errors/syntax-two.out \
	tests/golden/errors/syntax-two.sieve \
	tests/golden/errors/three-mistakes.out \
	tests/golden/errors/three-mistakes.sieve \
	tests/golden/errors/unknown-command.out \
	tests/golden/errors/unknown-command.sieve \
	tests/golden/errors/unknown-tag.out \
	tests/golden/errors/unknown-tag.sieve \
	tests/golden/errors/unterminated-middle.out \
	tests/golden/errors/unterminated-middle.sieve \
	tests/golden/errors/unterminated.out \
	tests/golden/errors/unterminated.sieve \
	tests/golden/errors/utf8-column.out \
	tests/golden/errors/utf8-column.sieve

# enotify, reject and ereject (RFC 5435, RFC 5429)
EXTRA_DIST += tests/golden/dump/enotify.out tests/golden/dump/enotify.sieve \
	tests/golden/errors/enotify.out tests/golden/errors/enotify.sieve

# The manual pages (doc/*.1, doc/*.8) against the programs' --help, and
# formatted without warnings; the pages themselves are in doc/local.mk.
TESTS += tests/golden/manpages.sh tests/golden/ext-sources.sh
dist_noinst_SCRIPTS += tests/golden/manpages.sh tests/golden/ext-sources.sh
