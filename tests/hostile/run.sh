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
# The generators start Python about 170 times: resolve a version manager's
# shim (pyenv's costs a shell and a second per start) to the interpreter
# once, and skip site (only the standard library is used), so that the
# suite's time is the cases' own.
real=$("$PYTHON" -S -c 'import sys; print(sys.executable)' 2>/dev/null)
case $real in
*" "* | "") ;;
*) [ -x "$real" ] && PYTHON="$real -S" ;;
esac

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
start=$(date +%s)

if [ $# -gt 0 ]; then
	cases=$*
else
	cases=$(ls "$HOSTILE"/cases/*/*.case 2>/dev/null)
fi

# parse CASE DIR: sections into DIR/files/NAME, DIR/gen.sh, DIR/exp.out,
# DIR/exp.err; the header into DIR/hdr.sh, shell assignments (h_KEY, the
# values of repeatable keys one per line) with the caps already scaled:
# h_capt (seconds), h_capt_cs (hundredths), h_kill (seconds), h_capm (MB).
# One awk per case, so that the harness costs little next to the cases.
parse() {
	awk -v dir="$2" -v tf="$tfactor" -v mf="$mfactor" -v mb="$mbase" '
		function q(v) { gsub(/\047/, "\047\\\047\047", v); return "\047" v "\047" }
		BEGIN { out = ""; secs = 5; mem = 64; hdr = dir "/hdr.sh"; printf "" > hdr }
		/^=== / {
			if (out != "") close(out)
			what = substr($0, 5)
			if (what ~ /^file /) out = dir "/files/" substr(what, 6)
			else if (what == "sh") out = dir "/gen.sh"
			else if (what == "stdout") out = dir "/exp.out"
			else if (what == "stderr") out = dir "/exp.err"
			else { print "run.sh: unknown section " what > "/dev/stderr"; exit 1 }
			printf "" > out
			next
		}
		out != "" { print > out; next }
		/^#/ || /^[ \t]*$/ { next }
		{
			i = index($0, ":")
			if (i == 0) { print "run.sh: bad header line: " $0 > "/dev/stderr"; exit 1 }
			key = substr($0, 1, i - 1)
			val = substr($0, i + 1)
			sub(/^[ \t]+/, "", val)
			if (key == "max-seconds") { secs = val; next }
			if (key == "max-mb") { mem = val; next }
			name = "h_" key
			gsub(/-/, "_", name)
			if (key ~ /-(has|lacks)$/)
				print name "=\"$" name "\"" q(val) "\"$NL\"" > hdr
			else
				print name "=" q(val) > hdr
		}
		END {
			capt = secs * tf
			printf "h_capt=%.2f h_capt_cs=%d h_kill=%d h_capm=%d\n", capt, capt * 100 + 0.5,
				capt * 2 + 2, mem * mf + mb > hdr
		}
	' "$1"
}

NL='
'

# check_lines FILE has|lacks STREAM PATTERNS
check_lines() {
	[ -n "$4" ] || return 0
	while IFS= read -r pat; do
		[ -n "$pat" ] || continue
		if [ "$2" = has ]; then
			grep -Eq -e "$pat" "$1" || why="$why; $3 has no line matching '$pat'"
		else
			grep -Eq -e "$pat" "$1" && why="$why; $3 has a line matching '$pat'"
		fi
	done <<EOF
$4
EOF
}

# first line of a file, shortened for a report
excerpt() {
	head -c 300 "$1" | head -n 1 | tr -d '\r' | cut -c 1-160
}

# size FILE: its size in bytes
size() {
	set -- $(wc -c <"$1")
	echo "$1"
}

for c in $cases; do
	base=${c##*/}
	kind=${c%/*}
	kind=${kind##*/}
	name=$kind/${base%.case}
	dir=$tmp/case
	rm -rf "$dir"
	mkdir -p "$dir/files"
	for v in run expect_exit stdout_has stderr_has stdout_lacks stderr_lacks stderr_first \
		stdout_max_bytes stderr_max_bytes; do
		eval "h_$v="
	done
	if ! parse "$c" "$dir"; then
		fail=$((fail + 1))
		echo "FAIL: $name: cannot parse the case"
		continue
	fi
	. "$dir/hdr.sh"
	why=
	if [ -f "$dir/gen.sh" ]; then
		if ! (cd "$dir/files" && sh -e "$dir/gen.sh") >"$dir/gen.log" 2>&1; then
			why="; the generator failed: $(excerpt "$dir/gen.log")"
		fi
	fi
	rss_kill=$((h_capm * 2 + 64))
	if [ "$sanitized" = 1 ]; then
		asopt=
	else
		asopt="-a $((h_capm * 2 + 256))"
	fi
	if [ -z "$why" ]; then
		prog=${h_run%% *}
		args=${h_run#"$prog"}
		(
			cd "$dir/files" || exit 99
			eval "set -- $args"
			exec "$limit" $asopt -m "$rss_kill" -t "$h_kill" -r "$dir/report" -- \
				"$bindir/$prog" "$@"
		) >"$dir/out" 2>"$dir/err" </dev/null
		if [ ! -s "$dir/report" ]; then
			why="; no report from the limit helper: $(excerpt "$dir/err")"
		fi
	fi
	if [ -z "$why" ]; then
		read -r _ status _ seconds _ rss _ timedout _ rsskilled <"$dir/report"
		cs=${seconds%.*}${seconds#*.}
		cs=${cs#0}
		cs=${cs#0}
		if [ "$timedout" = 1 ]; then
			why="$why; killed after ${seconds}s (cap ${h_capt}s)"
		elif [ "${cs:-0}" -gt "$h_capt_cs" ]; then
			why="$why; took ${seconds}s (cap ${h_capt}s)"
		fi
		if [ "$rsskilled" = 1 ]; then
			why="$why; killed at a resident set over $rss_kill MB (cap ${h_capm} MB)"
		elif [ "$rss" -gt "$h_capm" ]; then
			why="$why; peak RSS ${rss} MB (cap ${h_capm} MB)"
		fi
		if [ -n "$h_expect_exit" ] && [ "$status" != "$h_expect_exit" ]; then
			why="$why; exit status $status, expected $h_expect_exit (stderr: $(excerpt "$dir/err"))"
		fi
		if [ -f "$dir/exp.out" ] && ! cmp -s "$dir/exp.out" "$dir/out"; then
			why="$why; stdout differs"
			diff -u "$dir/exp.out" "$dir/out" | head -n 20 | cut -c 1-200 | sed 's/^/    /'
		fi
		if [ -f "$dir/exp.err" ] && ! cmp -s "$dir/exp.err" "$dir/err"; then
			why="$why; stderr differs"
			diff -u "$dir/exp.err" "$dir/err" | head -n 20 | cut -c 1-200 | sed 's/^/    /'
		fi
		if [ -n "$h_stderr_first" ]; then
			first=
			IFS= read -r first <"$dir/err"
			[ "$first" = "$h_stderr_first" ] ||
				why="$why; first stderr line is '$(excerpt "$dir/err")'"
		fi
		if [ -n "$h_stdout_max_bytes" ] && [ "$(size "$dir/out")" -gt "$h_stdout_max_bytes" ]; then
			why="$why; stdout is $(size "$dir/out") bytes (at most $h_stdout_max_bytes)"
		fi
		if [ -n "$h_stderr_max_bytes" ] && [ "$(size "$dir/err")" -gt "$h_stderr_max_bytes" ]; then
			why="$why; stderr is $(size "$dir/err") bytes (at most $h_stderr_max_bytes)"
		fi
		check_lines "$dir/out" has stdout "$h_stdout_has"
		check_lines "$dir/err" has stderr "$h_stderr_has"
		check_lines "$dir/out" lacks stdout "$h_stdout_lacks"
		check_lines "$dir/err" lacks stderr "$h_stderr_lacks"
	fi
	why=${why#; }
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		[ "$verbose" = 1 ] && echo "PASS: $name (${seconds}s, ${rss} MB)"
	else
		fail=$((fail + 1))
		echo "FAIL: $name: $why"
	fi
done

end=$(date +%s)
echo "# $((end - start))s," \
	"time factor $tfactor, memory factor $mfactor"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
