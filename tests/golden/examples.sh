#!/bin/sh
# examples.sh: every scripts/examples/*.sieve compiles (sievec --check),
# round-trips through a binary (sievec X out.svbin && sieve-dump out.svbin),
# and the demo gives scripts/examples/messages/EXPECTED with
#   sieve-test --batch scripts/examples/messages demo.sieve
# (compared sorted). Each example counts as one case; so does the demo run.
#
# Every step runs under LC_ALL=C and LC_ALL=C.UTF-8 (when installed): the
# results must not depend on the locale.
#
# make check runs it with the build folder as the working directory and
# srcdir exported; SIFT_BINDIR overrides where the programs are.

srcdir=${srcdir:-.}
bindir=${SIFT_BINDIR:-$(pwd)}
case $bindir in /*) ;; *) bindir=$(pwd)/$bindir ;; esac
examples=$srcdir/scripts/examples
if [ ! -d "$examples" ]; then
	examples=$(cd "$(dirname "$0")/../../scripts/examples" 2>/dev/null && pwd)
fi
if [ -z "$examples" ] || [ ! -d "$examples" ]; then
	echo "examples.sh: scripts/examples not found (set srcdir)" >&2
	exit 99
fi
for prog in sievec sieve-dump sieve-test; do
	if [ ! -x "$bindir/$prog" ]; then
		echo "examples.sh: $bindir/$prog not found (set SIFT_BINDIR)" >&2
		exit 99
	fi
done

locales=C
if locale -a 2>/dev/null | grep -qi '^c\.utf-\{0,1\}8$'; then
	locales="C C.UTF-8"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sift-examples.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

pass=0
fail=0

for f in "$examples"/*.sieve; do
	[ -e "$f" ] || continue
	name=examples/$(basename "$f" .sieve)
	why=
	for loc in $locales; do
		rm -f "$tmp/out.svbin"
		if ! LC_ALL=$loc "$bindir/sievec" --check "$f" >"$tmp/log" 2>&1; then
			why="sievec --check failed (LC_ALL=$loc)"
		elif ! LC_ALL=$loc "$bindir/sievec" "$f" "$tmp/out.svbin" >"$tmp/log" 2>&1; then
			why="sievec failed (LC_ALL=$loc)"
		elif ! LC_ALL=$loc "$bindir/sieve-dump" "$tmp/out.svbin" >"$tmp/dump" 2>"$tmp/log"; then
			why="sieve-dump failed (LC_ALL=$loc)"
		elif ! grep -q '^[0-9a-f]\{4\}  (end)$' "$tmp/dump"; then
			why="sieve-dump printed no complete listing (LC_ALL=$loc)"
		fi
		if [ -n "$why" ]; then
			cat "$tmp/log"
			break
		fi
	done
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		echo "PASS: $name"
	else
		fail=$((fail + 1))
		echo "FAIL: $name ($why)"
	fi
done

# the demo over the sample messages (envelope taken from each message)
why=
LC_ALL=C sort "$examples/messages/EXPECTED" >"$tmp/expected"
for loc in $locales; do
	if ! LC_ALL=$loc "$bindir/sieve-test" --batch "$examples/messages" "$examples/demo.sieve" \
		>"$tmp/batch" 2>"$tmp/log"; then
		why="sieve-test failed (LC_ALL=$loc)"
		cat "$tmp/log"
		break
	fi
	LC_ALL=C sort "$tmp/batch" >"$tmp/got"
	if ! diff -u "$tmp/expected" "$tmp/got"; then
		why="output differs from messages/EXPECTED (LC_ALL=$loc)"
		break
	fi
done
if [ -z "$why" ]; then
	pass=$((pass + 1))
	echo "PASS: examples/demo --batch messages"
else
	fail=$((fail + 1))
	echo "FAIL: examples/demo --batch messages ($why)"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
