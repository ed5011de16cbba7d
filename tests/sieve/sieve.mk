## tests/sieve: sift's Sieve conformance suite (TESTSUITE.md), run by
## sieve-testsuite; runner/ checks the runner's own output format.
TESTS += tests/sieve/run.sh tests/sieve/runner/check.sh
EXTRA_DIST += tests/sieve
