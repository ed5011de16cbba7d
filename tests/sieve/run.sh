#!/bin/sh
# tests/sieve/run.sh: sift's Sieve conformance suite (TESTSUITE.md): every
# tests/sieve/**/*.svtest (except runner/, whose files fail on purpose, and
# failures/, run with -F). Ends with the "N passed, M failed" line over all
# test blocks. SIEVE_TESTSUITE names the runner (default ./sieve-testsuite).
srcdir=${srcdir:-.}
st=${SIEVE_TESTSUITE:-./sieve-testsuite}
dir=$srcdir/tests/sieve
tmp=${TMPDIR:-/tmp}
rc=0
passed=0 failed=0

tally() { # output file: add its last line to the totals
	last=$(tail -n 1 "$1")
	set -- $last
	passed=$((passed + $1))
	failed=$((failed + $3))
}

out=$(mktemp "$tmp/sieve-suite.XXXXXX") || exit 99
files=$(find "$dir" -name '*.svtest' ! -path '*/runner/*' ! -path '*/failures/*' | LC_ALL=C sort)
if [ -n "$files" ]; then
	# shellcheck disable=SC2086
	"$st" -W "$tmp" $files >"$out" || rc=1
	grep -v '^ *[0-9]*: Test .* SUCCEEDED$' "$out" | grep -v '^$' | sed '$d'
	tally "$out"
fi
files=$(find "$dir/failures" -name '*.svtest' 2>/dev/null | LC_ALL=C sort)
if [ -n "$files" ]; then
	# shellcheck disable=SC2086
	"$st" -F -W "$tmp" $files >"$out" || rc=1
	grep -E '^(Test case|PASS|FAIL)' "$out"
	tally "$out"
fi
rm -f "$out"
# every example script has a binary round trip
for ex in "$srcdir"/scripts/examples/*.sieve; do
	[ -e "$ex" ] || continue
	name=$(basename "$ex")
	if ! grep -q "examples/$name\"" "$dir/binary/examples.svtest"; then
		echo "FAIL: scripts/examples/$name has no round trip in tests/sieve/binary/examples.svtest"
		rc=1
	fi
done
echo "$passed passed, $failed failed"
exit $rc
