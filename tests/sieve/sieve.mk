## tests/sieve: sift's Sieve conformance suite (TESTSUITE.md), run by
## sieve-testsuite; runner/ checks the runner's own output format.
TESTS += tests/sieve/run.sh tests/sieve/runner/check.sh tests/sieve/mime-limits.sh

# The whole folder goes into the tarball, from the source tree only (a
# VPATH build folder has test logs beside the scripts).
dist-hook: dist-sieve-suite
dist-sieve-suite:
	mkdir -p $(distdir)/tests/sieve
	cp -pR $(srcdir)/tests/sieve/. $(distdir)/tests/sieve/
	find $(distdir)/tests/sieve \( -name '*.log' -o -name '*.trs' \) -exec rm -f {} +
.PHONY: dist-sieve-suite
