#!/bin/sh
# run-golden.sh: golden-output tests of the tools (STYLE.md "Tests").
#
#   errors/NAME.sieve  a script with mistakes; errors/NAME.out is the exact
#                      stderr of `sievec --check NAME.sieve` (gcc-style
#                      file:line:col, source line, caret), exit status 1.
#   dump/NAME.sieve    a valid script; dump/NAME.out is the exact stdout of
#                      `sieve-dump NAME.sieve`. The same script compiled with
#                      sievec and dumped from the .svbin must give the same
#                      listing without the source-line comments.
#
# Each case runs under LC_ALL=C and LC_ALL=C.UTF-8 (when installed): the
# output must not depend on the locale (STYLE.md "Locale independence").
# Prints one line per case and "N passed, M failed"; exits 1 on failure.
#
# make check runs it with the build folder as the working directory and
# srcdir exported; by hand: srcdir=/path/to/source sh run-golden.sh.
# SIFT_BINDIR overrides where the programs are (default: the working
# directory). --update rewrites the .out files (then read them!).

srcdir=${srcdir:-.}
bindir=${SIFT_BINDIR:-$(pwd)}
case $bindir in /*) ;; *) bindir=$(pwd)/$bindir ;; esac
golden=$srcdir/tests/golden
[ -d "$golden" ] || golden=$(cd "$(dirname "$0")" && pwd)
update=false
[ "${1:-}" = --update ] && update=true

for prog in sievec sieve-dump; do
	if [ ! -x "$bindir/$prog" ]; then
		echo "run-golden.sh: $bindir/$prog not found (set SIFT_BINDIR)" >&2
		exit 99
	fi
done

locales=C
if locale -a 2>/dev/null | grep -qi '^c\.utf-\{0,1\}8$'; then
	locales="C C.UTF-8"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sift-golden.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

pass=0
fail=0

# report NAME STATUS [why]
report() {
	if [ "$2" = ok ]; then
		pass=$((pass + 1))
		echo "PASS: $1"
	else
		fail=$((fail + 1))
		echo "FAIL: $1 ($3)"
	fi
}

for f in "$golden"/errors/*.sieve; do
	[ -e "$f" ] || continue
	dir=$(dirname "$f")
	base=$(basename "$f")
	name=errors/${base%.sieve}
	exp=${f%.sieve}.out
	why=
	for loc in $locales; do
		(cd "$dir" && LC_ALL=$loc "$bindir/sievec" --check "$base") >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if $update; then
			cp "$tmp/err" "$exp"
		fi
		if [ $rc -ne 1 ]; then
			why="exit status $rc, expected 1 (LC_ALL=$loc)"
		elif [ -s "$tmp/out" ]; then
			why="unexpected stdout (LC_ALL=$loc)"
		elif ! diff -u "$exp" "$tmp/err" >"$tmp/diff" 2>&1; then
			why="stderr differs (LC_ALL=$loc)"
			cat "$tmp/diff"
		fi
		[ -n "$why" ] && break
	done
	if [ -z "$why" ]; then report "$name" ok; else report "$name" fail "$why"; fi
done

for f in "$golden"/dump/*.sieve; do
	[ -e "$f" ] || continue
	dir=$(dirname "$f")
	base=$(basename "$f")
	name=dump/${base%.sieve}
	exp=${f%.sieve}.out
	why=
	for loc in $locales; do
		(cd "$dir" && LC_ALL=$loc "$bindir/sieve-dump" "$base") >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if $update; then
			cp "$tmp/out" "$exp"
		fi
		if [ $rc -ne 0 ]; then
			why="sieve-dump exit status $rc (LC_ALL=$loc)"
			cat "$tmp/err"
		elif ! diff -u "$exp" "$tmp/out" >"$tmp/diff" 2>&1; then
			why="output differs (LC_ALL=$loc)"
			cat "$tmp/diff"
		else
			# round trip through a .svbin: the same listing, no source lines
			rm -f "$tmp/x.svbin"
			if ! LC_ALL=$loc "$bindir/sievec" "$f" "$tmp/x.svbin" >/dev/null 2>"$tmp/err"; then
				why="sievec failed (LC_ALL=$loc)"
				cat "$tmp/err"
			elif ! LC_ALL=$loc "$bindir/sieve-dump" "$tmp/x.svbin" >"$tmp/bin.out" 2>"$tmp/err"; then
				why="sieve-dump of the binary failed (LC_ALL=$loc)"
				cat "$tmp/err"
			else
				grep -v '^      ; ' "$exp" >"$tmp/nosrc"
				if ! diff -u "$tmp/nosrc" "$tmp/bin.out" >"$tmp/diff" 2>&1; then
					why="dump of the .svbin differs (LC_ALL=$loc)"
					cat "$tmp/diff"
				fi
			fi
		fi
		[ -n "$why" ] && break
	done
	if [ -z "$why" ]; then report "$name" ok; else report "$name" fail "$why"; fi
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
