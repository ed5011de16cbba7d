#!/bin/sh
# tool-errors.sh: what the programs say about files they cannot use.
#
#   - a file named *.svbin is a binary: empty, without the magic number,
#     with a truncated header or a damaged body, it is an error naming the
#     file and the reason (sieve-test and sieve-dump), never a script;
#   - sievec and sieve-testsuite refuse a binary (by name or magic number)
#     as their script;
#   - max-script-size is exact: a script of that many bytes is accepted,
#     one byte more is refused, and the message gives the limit itself.
#
# Each case compares the exact stderr and the exit status. make check runs
# it from the build folder (SIFT_BINDIR overrides where the programs are).

bindir=${SIFT_BINDIR:-$(pwd)}
case $bindir in /*) ;; *) bindir=$(pwd)/$bindir ;; esac
for prog in sievec sieve-test sieve-dump sieve-testsuite; do
	if [ ! -x "$bindir/$prog" ]; then
		echo "tool-errors.sh: $bindir/$prog not found (set SIFT_BINDIR)" >&2
		exit 99
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sift-toolerr.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT HUP INT TERM
cd "$tmp" || exit 99
export LC_ALL=C

pass=0
fail=0

# check NAME STATUS EXPECTED-STDERR COMMAND...
check() {
	name=$1 want_rc=$2 want=$3
	shift 3
	"$@" >out 2>err
	rc=$?
	printf '%s' "$want" >want
	if [ $rc -ne "$want_rc" ]; then
		fail=$((fail + 1))
		echo "FAIL: $name (exit status $rc, expected $want_rc)"
		cat err
	elif ! diff -u want err; then
		fail=$((fail + 1))
		echo "FAIL: $name (stderr differs)"
	else
		pass=$((pass + 1))
		echo "PASS: $name"
	fi
}

printf 'From: a@example.com\nTo: b@example.org\nSubject: x\n\nhi\n' >m.eml
printf 'keep;\n' >ok.sieve
"$bindir/sievec" ok.sieve ok.svbin || exit 99

# binaries that are not (header checks, in the order load() makes them)
: >empty.svbin
printf 'keep;\n' >text.svbin
printf 'SIFTSVB\032\001\000' >short.svbin
# a whole header announcing a body of 100 bytes, and no body
printf 'SIFTSVB\032\001\000\000\000\054\000\000\000\000\000\000\000\144\000\000\000' >trunc.svbin
printf '\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' >>trunc.svbin
# a damaged body: the last byte flipped
size=$(wc -c <ok.svbin)
head -c $((size - 1)) ok.svbin >crc.svbin
last=$(tail -c 1 ok.svbin | od -An -tu1 | tr -d ' ')
printf "\\$(printf '%03o' $(((last + 1) % 256)))" >>crc.svbin

for prog in sieve-test sieve-dump; do
	args=
	[ $prog = sieve-test ] && args=m.eml
	check "$prog empty" 1 "empty.svbin: error: empty file, not a sift binary
" "$bindir/$prog" empty.svbin $args
	check "$prog text" 1 "text.svbin: error: not a sift binary (no magic number at the start)
" "$bindir/$prog" text.svbin $args
	check "$prog short header" 1 "short.svbin: error: binary header truncated: 10 of 44 bytes
" "$bindir/$prog" short.svbin $args
	check "$prog truncated body" 1 "trunc.svbin: error: binary truncated or padded: body is 0 bytes, header says 100
" "$bindir/$prog" trunc.svbin $args
	check "$prog checksum" 1 "crc.svbin: error: binary checksum mismatch
" "$bindir/$prog" crc.svbin $args
	check "$prog good binary" 0 "" "$bindir/$prog" ok.svbin $args
done

# sievec compiles scripts: a binary (by name or by magic) is refused
cp ok.svbin magic.sieve
check "sievec binary by name" 1 "ok.svbin: error: named as a sift binary (.svbin), not a Sieve script (sieve-dump shows binaries)
" "$bindir/sievec" --check ok.svbin
check "sievec binary by magic" 1 "magic.sieve: error: a sift binary, not a Sieve script (sieve-dump shows binaries)
" "$bindir/sievec" --check magic.sieve

# sieve-testsuite runs test scripts: a binary is a failed file
check "sieve-testsuite binary" 1 "ok.svbin: error: a sift binary, not a test script
" "$bindir/sieve-testsuite" -W "$tmp" ok.svbin

# max-script-size, exactly
head -c 1023 /dev/zero | tr '\0' '#' >exact.sieve
printf '\n' >>exact.sieve
cp exact.sieve over.sieve
printf '\n' >>over.sieve
check "sievec exact size" 0 "" "$bindir/sievec" --check -o max-script-size=1K exact.sieve
check "sievec one byte over" 1 "sievec: over.sieve is larger than the limit of 1024 bytes
" "$bindir/sievec" --check -o max-script-size=1K over.sieve
check "sieve-test exact size" 0 "" "$bindir/sieve-test" -o max-script-size=1K exact.sieve m.eml
check "sieve-test one byte over" 1 "sieve-test: over.sieve is larger than the limit of 1024 bytes
" "$bindir/sieve-test" -o max-script-size=1K over.sieve m.eml

echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
