#!/bin/sh
# tests/sieve/runner/check.sh: the exact output format and exit status of
# sieve-testsuite (TESTSUITE.md "Running") on files whose outcome is known.
srcdir=${srcdir:-.}
st=$(cd "$(dirname "${SIEVE_TESTSUITE:-./sieve-testsuite}")" && pwd)/$(basename "${SIEVE_TESTSUITE:-./sieve-testsuite}")
cd "$srcdir/tests/sieve/runner" || exit 99
tmp=${TMPDIR:-/tmp}
fail=0

check() { # name expected-status args...
	name=$1 want=$2
	shift 2
	out=$("$st" "$@" 2>/dev/null)
	rc=$?
	exp=$(cat "expected/$name.out")
	if [ "$rc" != "$want" ]; then
		echo "FAIL: $name: exit status $rc, expected $want"
		fail=1
	fi
	if [ "$out" != "$exp" ]; then
		echo "FAIL: $name: output differs:"
		printf '%s\n' "$out" | diff -u "expected/$name.out" - | sed 's/^/  /'
		fail=1
	else
		echo "ok: $name"
	fi
}

check pass 0 -W "$tmp" pass.svtest
check fail 1 -W "$tmp" fail.svtest
check nocompile 1 -W "$tmp" nocompile.svtest
check abort 1 -W "$tmp" abort.svtest
check all 1 -W "$tmp" pass.svtest fail.svtest nocompile.svtest abort.svtest
check expect-fail 0 -F -W "$tmp" nocompile.svtest expect-fail.svtest
check expect-fail-partial 1 -F -W "$tmp" fail.svtest

# compile errors of the main file go to stderr
if ! "$st" -W "$tmp" nocompile.svtest 2>&1 >/dev/null | grep -q "frobnicate"; then
	echo "FAIL: compile errors are not on stderr"
	fail=1
fi
# compile-time rules of the test-suite language
errs=$("$st" -W "$tmp" compile-checks.svtest 2>&1 >/dev/null)
for want in "allowed only at the top level" "unknown test_set object 'frop'" \
	"cannot assign to 'tst.path'" "tst.a.b"; do
	case $errs in
	*"$want"*) echo "ok: compile error: $want" ;;
	*) echo "FAIL: no compile error '$want'"; fail=1 ;;
	esac
done
# bad usage
"$st" >/dev/null 2>&1
[ $? = 64 ] || { echo "FAIL: no file: expected exit status 64"; fail=1; }
# the work folders are removed
left=$(ls -d "$tmp"/sieve-testsuite.* 2>/dev/null | wc -l)
[ "$left" = 0 ] || echo "note: $left sieve-testsuite work folders in $tmp (other runs?)"
exit $fail
