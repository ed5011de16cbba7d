#!/bin/sh
# manpages.sh: the manual pages in doc/ stay true to the programs.
#
#   - every option a program's --help prints (and --help and --version,
#     which every program takes) has its own entry, a .TP tag, in the
#     OPTIONS section of its page;
#   - every setting `sievec --settings` lists, with its aliases, has an
#     entry in the SETTINGS section of sieve-test(1);
#   - each page formats without a warning, under `groff -man -ww -z` and
#     under `man --warnings -l` (80 columns).
#
# A page whose program is not built (sieve-deliver, until it is) is still
# formatted; its option check is reported as SKIP. Without groff or man the
# formatting checks are skipped and the test ends in status 77 (install
# groff-base and man-db). Prints one line per case and "N passed, M failed".
#
# make check runs it with the build folder as the working directory and
# srcdir exported; SIFT_BINDIR overrides where the programs are.

srcdir=${srcdir:-.}
bindir=${SIFT_BINDIR:-$(pwd)}
case $bindir in /*) ;; *) bindir=$(pwd)/$bindir ;; esac
doc=$srcdir/doc
[ -f "$doc/sievec.1" ] || doc=$(cd "$(dirname "$0")/../../doc" 2>/dev/null && pwd)
if [ -z "$doc" ] || [ ! -f "$doc/sievec.1" ]; then
	echo "manpages.sh: doc/sievec.1 not found (set srcdir)" >&2
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sift-manpages.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT HUP INT TERM
export LC_ALL=C
unset MANPAGER PAGER MANOPT MANROFFOPT GROFF_TMAC_PATH
export MANWIDTH=80

pass=0
fail=0
skip=0
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
skipped() { skip=$((skip + 1)); echo "SKIP: $1"; }

# tags PAGE SECTION: the .TP tags of one section, roff escapes removed
# (\- becomes -, font changes, \& and \% go), one per line.
tags() {
	awk -v want="$2" '
		/^\.SH/ { sec = $0; sub(/^\.SH[ \t]+/, "", sec); gsub(/"/, "", sec); next }
		sec != want { tp = 0; next }
		/^\.TP/ { tp = 1; next }
		tp { print; tp = 0 }
	' "$1" | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' \
		-e 's/\\[&%]//g' -e 's/^\.[A-Z][A-Z]*[ \t]*//' -e 's/"//g'
}

# has_word FILE WORD: WORD in FILE, not as part of a longer name
has_word() {
	grep -qE "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|\$)" "$1"
}

# options PROG: the options its --help prints, one per line
options() {
	{ "$bindir/$1" --help 2>&1; printf ' --help --version\n'; } |
		grep -oE '(^|[][ ,(|])--?[A-Za-z][A-Za-z0-9-]*' |
		sed 's/^[^-]*//' | sort -u
}

for page in sievec.1 sieve-dump.1 sieve-test.1 sieve-testsuite.1 sieve-deliver.8; do
	prog=${page%.*}
	src=$doc/$page
	if [ ! -f "$src" ]; then
		bad "$page: missing"
		continue
	fi

	# options
	if [ ! -x "$bindir/$prog" ]; then
		skipped "$page: options ($prog is not built)"
	elif ! "$bindir/$prog" --help >"$tmp/help" 2>&1 || [ ! -s "$tmp/help" ]; then
		bad "$page: $prog --help fails or prints nothing"
	else
		tags "$src" OPTIONS >"$tmp/tags"
		missing=
		for opt in $(options "$prog"); do
			has_word "$tmp/tags" "$opt" || missing="$missing $opt"
		done
		if [ -n "$missing" ]; then
			bad "$page: no entry under OPTIONS for$missing (from $prog --help)"
		else
			ok "$page: every option of $prog --help"
		fi
	fi

	# formatting
	if command -v groff >/dev/null 2>&1; then
		groff -man -ww -z "$src" >"$tmp/out" 2>&1
		if [ -s "$tmp/out" ]; then
			bad "$page: groff -man -ww warns"
			sed 's/^/    /' "$tmp/out"
		else
			ok "$page: groff -man -ww"
		fi
	else
		skipped "$page: groff -man -ww (groff is not installed: groff-base)"
	fi
	if command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
		man --warnings -l "$src" >/dev/null 2>"$tmp/out"
		if [ -s "$tmp/out" ]; then
			bad "$page: man --warnings warns"
			sed 's/^/    /' "$tmp/out"
		else
			ok "$page: man --warnings -l"
		fi
	else
		skipped "$page: man --warnings -l (man is not installed: man-db)"
	fi
done

# the settings, in sieve-test(1)
if [ -x "$bindir/sievec" ]; then
	tags "$doc/sieve-test.1" SETTINGS >"$tmp/tags"
	missing=
	for key in $("$bindir/sievec" --settings |
		sed -n 's/^\([a-z][a-z0-9-]*\).*also \([^ ]*\)$/\1|\2/p; s/^\([a-z][a-z0-9-]*\) .*/\1/p' |
		tr '|' '\n' | sort -u); do
		has_word "$tmp/tags" "$key" || missing="$missing $key"
	done
	if [ -n "$missing" ]; then
		bad "sieve-test.1: no entry under SETTINGS for$missing (from sievec --settings)"
	else
		ok "sieve-test.1: every setting of sievec --settings"
	fi
else
	bad "sievec not found in $bindir (set SIFT_BINDIR)"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ] || exit 1
# formatting not checked at all is a skip, not a pass; an unbuilt program is not
[ $skip -gt 0 ] && ! command -v groff >/dev/null 2>&1 && exit 77
exit 0
