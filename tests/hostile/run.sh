#!/bin/sh
# run.sh: the hostile-input suite (issue 6): scripts, messages and binaries
# built to hurt, each with the exact outcome it must get, under a time and
# memory cap.
#
#   tests/hostile/run.sh [CASE...]     (default: every cases/*/*.case)
#
# One file per case, tests/hostile/cases/<kind>/NAME.case: header lines
# "key: value", then sections that start with a line "=== WHAT":
#
#   # comment                  what the case is about (why it is hostile)
#   run: PROGRAM ARG...        the command, run in a fresh temporary folder;
#                              PROGRAM is a sift program in the build folder
#                              (sievec, sieve-test, sieve-dump,
#                              sieve-testsuite); the words are split and
#                              quoted as sh does ($HOSTILE and the like
#                              expand; see === sh)
#   expect-exit: N             the exit status (128+signal for a crash)
#   stdout-has: ERE            a line of stdout matches (repeatable)
#   stderr-has: ERE            a line of stderr matches (repeatable)
#   stdout-lacks: ERE          no line of stdout matches (repeatable)
#   stderr-lacks: ERE          no line of stderr matches (repeatable)
#   stderr-first: TEXT         the first line of stderr is exactly TEXT
#   stdout-max-bytes: N        stdout is at most N bytes (likewise stderr-)
#   max-seconds: S             wall-clock cap (default 5), times $HOSTILE_TIME_FACTOR
#   max-mb: M                  peak RSS cap in MB (default 64), times
#                              $HOSTILE_MEM_FACTOR
#   === file NAME              the lines up to the next "===" are the file NAME
#                              (every line ends with a newline)
#   === sh                     a shell snippet run in the folder before the
#                              command, to make the inputs: large files are
#                              generated, never committed. $HOSTILE is this
#                              folder (svbin.py crafts binaries), $BIN the
#                              programs' folder, $PYTHON python3
#   === stdout                 stdout must be exactly these lines
#   === stderr                 stderr must be exactly these lines
#
# Cases under cases/pending/ describe known bugs that others are fixing:
# they run, but a failure prints "PENDING:" and does not count; one that
# passes says so, to be moved out of pending/.
#
# Prints "FAIL: kind/name: what differed" per failed case (PASS lines with
# -v or HOSTILE_VERBOSE=1), then "N passed, M failed"; exits 1 on a failure.
# make check runs it from the build folder with srcdir exported; by hand:
#   srcdir=/path/to/source SIFT_BINDIR=/path/to/build sh tests/hostile/run.sh
# Each command runs under tests/hostile/limit: killed after twice its time
# cap (+2 s) or once its resident set passes twice its memory cap (+64 MB),
# and capped in address space (2 x cap + 256 MB) outside ASan builds. Under
# ASan (detected from the limit helper) the time factor defaults to 5 and
# the memory factor to 4, plus 64 MB for ASan's own pages.

srcdir=${srcdir:-.}
bindir=${SIFT_BINDIR:-$(pwd)}
case $bindir in /*) ;; *) bindir=$(pwd)/$bindir ;; esac
HOSTILE=$srcdir/tests/hostile
[ -d "$HOSTILE/cases" ] || HOSTILE=$(cd "$(dirname "$0")" && pwd)
case $HOSTILE in /*) ;; *) HOSTILE=$(pwd)/$HOSTILE ;; esac
BIN=$bindir
PYTHON=${PYTHON:-python3}
export HOSTILE BIN PYTHON

verbose=${HOSTILE_VERBOSE:-0}
if [ "${1:-}" = -v ]; then
	verbose=1
	shift
fi

limit=$bindir/tests/hostile/limit
for prog in sievec sieve-test sieve-dump sieve-testsuite tests/hostile/limit; do
	if [ ! -x "$bindir/$prog" ]; then
		echo "run.sh: $bindir/$prog not found (set SIFT_BINDIR)" >&2
		exit 99
	fi
done
if ! command -v "$PYTHON" >/dev/null 2>&1; then
	echo "run.sh: $PYTHON not found: the generators need it" >&2
	exit 77
fi

sanitized=$("$limit" --sanitized)
if [ "$sanitized" = 1 ]; then
	tfactor=${HOSTILE_TIME_FACTOR:-5}
	mfactor=${HOSTILE_MEM_FACTOR:-4}
	mbase=64 # ASan's own shadow and allocator pages
else
	tfactor=${HOSTILE_TIME_FACTOR:-1}
	mfactor=${HOSTILE_MEM_FACTOR:-1}
	mbase=0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sift-hostile.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

pass=0
fail=0
pending=0
pending_ok=0
start=$(date +%s)

if [ $# -gt 0 ]; then
	cases=$*
else
	cases=$(ls "$HOSTILE"/cases/*/*.case 2>/dev/null)
fi

# parse CASE DIR: the header into DIR/hdr, sections into DIR/work/NAME,
# DIR/gen.sh, DIR/exp.out, DIR/exp.err
parse() {
	awk -v dir="$2" '
		BEGIN { out = dir "/hdr" }
		/^=== / {
			close(out)
			what = substr($0, 5)
			if (what ~ /^file /) out = dir "/work/" substr(what, 6)
			else if (what == "sh") out = dir "/gen.sh"
			else if (what == "stdout") out = dir "/exp.out"
			else if (what == "stderr") out = dir "/exp.err"
			else { print "run.sh: unknown section " what > "/dev/stderr"; exit 1 }
			printf "" > out
			next
		}
		{ print > out }
	' "$1"
}

# hdr KEY: the values of KEY, one per line
hdr() {
	sed -n "s/^$1:[ 	]*//p" "$dir/hdr"
}

# check_lines FILE KIND(has|lacks) STREAM: every pattern of STREAM-KIND
check_lines() {
	hdr "$3-$2" >"$dir/pats"
	while IFS= read -r pat; do
		if [ "$2" = has ]; then
			grep -Eq -e "$pat" "$1" || why="$why; $3 has no line matching '$pat'"
		else
			grep -Eq -e "$pat" "$1" && why="$why; $3 has a line matching '$pat'"
		fi
	done <"$dir/pats"
}

# first line of a file, shortened for a report
excerpt() {
	head -c 300 "$1" | head -n 1 | tr -d '\r' | cut -c 1-160
}

for c in $cases; do
	kind=$(basename "$(dirname "$c")")
	name=$kind/$(basename "$c" .case)
	dir=$tmp/case
	rm -rf "$dir"
	mkdir -p "$dir/work"
	if ! parse "$c" "$dir"; then
		fail=$((fail + 1))
		echo "FAIL: $name: cannot parse the case"
		continue
	fi
	why=
	if [ -f "$dir/gen.sh" ]; then
		if ! (cd "$dir/work" && sh -e "$dir/gen.sh") >"$dir/gen.log" 2>&1; then
			why="; the generator failed: $(excerpt "$dir/gen.log")"
		fi
	fi
	cmd=$(hdr run | head -n 1)
	secs=$(hdr max-seconds | head -n 1)
	mb=$(hdr max-mb | head -n 1)
	: "${secs:=5}" "${mb:=64}"
	# the caps, scaled (integer seconds for the kill, tenths for the check)
	capt=$(awk -v s="$secs" -v f="$tfactor" 'BEGIN { printf "%.2f", s * f }')
	kill_after=$(awk -v s="$capt" 'BEGIN { printf "%d", s * 2 + 2 }')
	capm=$(awk -v m="$mb" -v f="$mfactor" -v b="$mbase" 'BEGIN { printf "%d", m * f + b }')
	rss_kill=$((capm * 2 + 64))
	if [ "$sanitized" = 1 ]; then
		asopt=
	else
		asopt="-a $((capm * 2 + 256))"
	fi
	if [ -z "$why" ]; then
		prog=${cmd%% *}
		args=${cmd#"$prog"}
		(
			cd "$dir/work" || exit 99
			eval "set -- $args"
			exec "$limit" $asopt -m "$rss_kill" -t "$kill_after" -r "$dir/report" -- \
				"$bindir/$prog" "$@"
		) >"$dir/out" 2>"$dir/err" </dev/null
		if [ ! -s "$dir/report" ]; then
			why="; no report from the limit helper: $(excerpt "$dir/err")"
		fi
	fi
	if [ -z "$why" ]; then
		set -- $(cat "$dir/report")
		status=$2 seconds=$4 rss=$6 timedout=$8 rsskilled=${10}
		exp_status=$(hdr expect-exit | head -n 1)
		if [ "$timedout" = 1 ]; then
			why="$why; killed after ${seconds}s (cap ${capt}s)"
		elif awk -v a="$seconds" -v b="$capt" 'BEGIN { exit !(a > b) }'; then
			why="$why; took ${seconds}s (cap ${capt}s)"
		fi
		if [ "$rsskilled" = 1 ]; then
			why="$why; killed at a resident set over $rss_kill MB (cap ${capm} MB)"
		elif [ "$rss" -gt "$capm" ]; then
			why="$why; peak RSS ${rss} MB (cap ${capm} MB)"
		fi
		if [ -n "$exp_status" ] && [ "$status" != "$exp_status" ]; then
			why="$why; exit status $status, expected $exp_status (stderr: $(excerpt "$dir/err"))"
		fi
		if [ -f "$dir/exp.out" ] && ! cmp -s "$dir/exp.out" "$dir/out"; then
			why="$why; stdout differs"
			diff -u "$dir/exp.out" "$dir/out" | head -n 20 | sed 's/^/    /'
		fi
		if [ -f "$dir/exp.err" ] && ! cmp -s "$dir/exp.err" "$dir/err"; then
			why="$why; stderr differs"
			diff -u "$dir/exp.err" "$dir/err" | head -n 20 | cut -c 1-200 | sed 's/^/    /'
		fi
		first=$(hdr stderr-first | head -n 1)
		if [ -n "$first" ] && [ "$(head -n 1 "$dir/err")" != "$first" ]; then
			why="$why; first stderr line is '$(excerpt "$dir/err")'"
		fi
		for s in stdout stderr; do
			f=$dir/out
			[ $s = stderr ] && f=$dir/err
			max=$(hdr $s-max-bytes | head -n 1)
			size=$(wc -c <"$f")
			if [ -n "$max" ] && [ "$size" -gt "$max" ]; then
				why="$why; $s is $size bytes (at most $max)"
			fi
			check_lines "$f" has $s
			check_lines "$f" lacks $s
		done
	fi
	why=${why#; }
	if [ "$kind" = pending ]; then
		pending=$((pending + 1))
		if [ -z "$why" ]; then
			pending_ok=$((pending_ok + 1))
			echo "PENDING: $name passes now: move it out of pending/"
		else
			echo "PENDING: $name: $why"
		fi
	elif [ -z "$why" ]; then
		pass=$((pass + 1))
		[ "$verbose" = 1 ] && echo "PASS: $name (${seconds}s, ${rss} MB)"
	else
		fail=$((fail + 1))
		echo "FAIL: $name: $why"
	fi
done

end=$(date +%s)
echo "# $pending pending ($pending_ok of them pass now), $((end - start))s," \
	"time factor $tfactor, memory factor $mfactor"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
