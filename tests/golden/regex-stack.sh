#!/bin/sh
# tests/golden/regex-stack.sh: issue 6's crash. A :regex key taken from
# the message, (a{255}){255}b, made TRE's matcher alloca about 5 MB and
# sieve-test died of SIGSEGV (139). Now (draft-ietf-sieve-regex-01 §3,
# max-regex-memory in doc/settings.md):
#   - at the default limit the key is refused: exit 1 and a runtime error
#     naming the script and line;
#   - with the limit raised, the match runs on a stack sized by the
#     estimate: no match, the implicit keep (a value of 65025 a's would
#     match too, in about a minute: TRE is linear in the value times the
#     states).
tmp=$(mktemp -d "${TMPDIR:-/tmp}/regex-stack.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
printf 'require ["regex","variables"];\nif header :matches "x-pattern" "*" { set "p" "${1}"; }\nif header :regex "subject" "${p}" { set "c" "${1}"; discard; }\n' >"$tmp/c.sieve"
printf 'X-Pattern: (a{255}){255}b\nSubject: aab\n\nbody\n' >"$tmp/c.eml"
fail=0
./sieve-test "$tmp/c.sieve" "$tmp/c.eml" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 1 ] || ! grep -q 'c: line 3: error: .*too complex.*max-regex-memory' "$tmp/err"; then
	echo "FAIL: default limit: exit $rc, expected 1 and a runtime error"; cat "$tmp/err"; fail=1
else
	echo "PASS: default limit refuses the key at run time"
fi
./sieve-test -o max-regex-memory=512M "$tmp/c.sieve" "$tmp/c.eml" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ] || ! grep -q 'implicit keep' "$tmp/out"; then
	echo "FAIL: raised limit: exit $rc, expected 0 and the implicit keep"; cat "$tmp/out" "$tmp/err"; fail=1
else
	echo "PASS: raised limit runs the match on the heap stack"
fi
exit $fail
