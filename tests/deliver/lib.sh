# tests/deliver/lib.sh: what faults.sh, concurrency.sh and privileges.sh
# share. Sourced, never run.
#
# The program under test is $SIEVE_DELIVER when set, else the build's
# sieve-deliver (make check runs from the build folder). Started as root,
# a test creates its own users (names with the test's pid, home folders in
# its scratch folder) and delivers with -d USER, as an MTA does; not root,
# it delivers as the user it runs as, with HOME pointing into the scratch
# folder. Every delivery gets -c with a private sift.conf, so nothing of
# the machine's configuration leaks in, and log = none.
#
# A case prints what it checks ("== name: what"), then one line per
# assertion ("ok" or "FAIL" with what was expected and what happened). The
# script exits 1 when any assertion failed, 77 (SKIP) when it cannot run
# here, 99 when it cannot even start.

export LC_ALL=C
unset SENDER RECIPIENT ORIGINAL_RECIPIENT CLIENT_ADDRESS CLIENT_HOSTNAME CLIENT_HELO LD_PRELOAD
# an LD_PRELOAD library in an ASan build: the runtime must not insist on
# being first (harmless without sanitizers)
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

me=$(basename "$0" .sh)
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
case $srcdir in /*) ;; *) srcdir=$(pwd)/$srcdir ;; esac
builddir=$(pwd)

if [ -n "$SIEVE_DELIVER" ]; then
	prog=$SIEVE_DELIVER
elif [ -x "$builddir/src/tools/sieve-deliver" ]; then
	prog=$builddir/src/tools/sieve-deliver
elif [ -x "$builddir/sieve-deliver" ]; then
	prog=$builddir/sieve-deliver
else
	echo "$me: sieve-deliver not found in $builddir or $builddir/src/tools (set SIEVE_DELIVER)" >&2
	exit 99
fi
case $prog in /*) ;; *) prog=$(pwd)/$prog ;; esac
# sieve-dump checks that a rewritten .svbin is valid; the magic number is
# the fallback
dump=${SIEVE_DUMP:-$builddir/sieve-dump}
[ -x "$dump" ] || dump=

if [ "$(id -u)" -eq 0 ]; then root=1; else root=0; fi

T=$(mktemp -d "${TMPDIR:-/tmp}/sift-$me.XXXXXX") || exit 99
chmod 755 "$T"
created_users=()
mounts=()
bg_pids=()

cleanup() {
	local p m u
	for p in "${bg_pids[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	for m in "${mounts[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	for u in "${created_users[@]}"; do
		[ -n "$u" ] || continue
		# -f: a second name of uid 0 is "in use" by every root process
		userdel "$u" 2>/dev/null || userdel -f "$u" 2>/dev/null
		groupdel "$u" 2>/dev/null
	done
	chmod -R u+rwx "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

pass=0
nfail=0
case_name=

# begin NAME WHAT: start a case
case_start=
begin() {
	end_case
	case_name=$1
	case_start=$(date +%s%N)
	echo
	echo "== $1: $2"
}

# end_case: how long the case took (the whole suite has to stay fast)
end_case() {
	[ -n "$case_start" ] || return 0
	echo "   ($(( ($(date +%s%N) - case_start) / 1000000 )) ms)"
	case_start=
}

# (what they print may quote file names with any byte: shown as '?')
ok() {
	local s="$*"
	pass=$((pass + 1))
	echo "   ok   ${s//[^[:print:]]/?}"
}

bad() {
	local s="$*"
	nfail=$((nfail + 1))
	echo "   FAIL ${s//[^[:print:]]/?}"
}

# check DESCRIPTION COMMAND...: ok when the command succeeds
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# finish: the summary line and the exit status
finish() {
	end_case
	echo
	echo "$me: $pass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
	exit $?
}

skip_all() {
	echo "SKIP: $me: $*"
	exit 77
}

# ---- users ----

# add_user NAME HOME: a test user of our own (never one that exists)
add_user() {
	local name=$1 home=$2 i
	if getent passwd "$name" >/dev/null; then
		echo "$me: user $name exists already; not touching it" >&2
		exit 99
	fi
	# other tests may hold the passwd lock for a moment
	for i in 1 2 3 4 5 6 7 8 9 10; do
		if useradd -M -U -d "$home" -s /usr/sbin/nologin -c "sift test user" "$name" 2>"$T/useradd.err"; then
			created_users+=("$name")
			return 0
		fi
		grep -q lock "$T/useradd.err" || break
		sleep 0.5
	done
	echo "$me: cannot create user $name: $(cat "$T/useradd.err")" >&2
	exit 99
}

# The user deliveries are for: a new one as root, ourselves otherwise.
user_setup() {
	home=$T/home
	if [ $root = 1 ]; then
		user=$1
		add_user "$user" "$home"
	else
		user=$(id -un)
	fi
	uid=$(id -u "$user")
	gid=$(id -g "$user")
	conf=$T/sift.conf
	printf 'log = none\n' >"$conf"
	chmod 644 "$conf"
}

# reset_home: an empty home for the next case (Maildir made by delivery)
reset_home() {
	chmod -R u+rwx "$home" 2>/dev/null
	rm -rf "$home"
	mkdir -p "$home"
	own "$home"
}

# own PATH...: give files the test made to the user
own() {
	[ $root = 1 ] && chown -R "$uid:$gid" "$@"
	return 0
}

# set_script TEXT: the user's active script, ~/.sieve -> sieve/main.sieve
set_script() {
	mkdir -p "$home/sieve"
	printf '%s\n' "$1" >"$home/sieve/main.sieve"
	ln -sfn sieve/main.sieve "$home/.sieve"
	own "$home/sieve" "$home/.sieve"
	chown -h "$uid:$gid" "$home/.sieve" 2>/dev/null
	return 0
}

# wait_for COMMAND...: poll (up to 20 s) until the command succeeds
wait_for() {
	local i
	for ((i = 0; i < 400; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# ---- the fault shim ----

# build_shim: faultfs.c built into $shim with $CC (or cc); with_fault
# VAR=VALUE... then runs the next deliveries under it, no_fault stops
build_shim() {
	shim=$T/faultfs.so
	faultlog=$T/fault.log
	if ! ${CC:-cc} -shared -fPIC -O1 -o "$shim" "$srcdir/tests/deliver/faultfs.c" -ldl 2>"$T/cc.err"; then
		echo "$me: cannot build the fault shim: $(cat "$T/cc.err")" >&2
		exit 99
	fi
	chmod 755 "$shim"
}

with_fault() {
	: >"$faultlog"
	chmod 666 "$faultlog"
	pre=(LD_PRELOAD="$shim" FAULT_LOG="$faultlog" "$@")
}

no_fault() {
	pre=()
}

# expect_fault_hit PATTERN: the shim injected a fault on a path matching
# PATTERN (a case where it did not would prove nothing)
expect_fault_hit() {
	if grep -q "$1" "$faultlog"; then
		ok "fault injected: $(head -n 1 "$faultlog" | sed "s|$T/||")"
	else
		bad "the fault was never injected (log: $(tr '\n' '|' <"$faultlog"))"
	fi
}

# ---- delivering ----

# deliver [OPTION...] < MESSAGE: one delivery for $user; sets rc, leaves
# the output in $T/out$tag and $T/err$tag ($tag tells apart deliveries
# that run at the same time). Variables in the array pre=() are put into
# the program's environment (LD_PRELOAD and the fault settings).
pre=()
tag=
deliver() {
	local who=()
	[ $root = 1 ] && who=(-d "$user")
	if [ ${#pre[@]} -gt 0 ]; then
		env HOME="$home" "${pre[@]}" "$prog" "${who[@]}" -c "$conf" -o log=none "$@" \
			>"$T/out$tag" 2>"$T/err$tag"
	else
		HOME="$home" "$prog" "${who[@]}" -c "$conf" -o log=none "$@" >"$T/out$tag" 2>"$T/err$tag"
	fi
	rc=$?
}

# status_line: the "X.Y.Z text" line the program printed on stderr
status_line() {
	grep -E '^[245]\.[0-9]{1,3}\.[0-9]{1,3}( |$)' "$T/err$tag" | head -n 1
}

# expect_rc WANT: the exit status
expect_rc() {
	if [ "$rc" -eq "$1" ]; then
		ok "exit $1"
	else
		bad "exit $rc, want $1 (stderr: $(head -c 400 "$T/err$tag" | tr '\n' '|'))"
	fi
}

# expect_status PREFIX: a status line starting with PREFIX (e.g. "4." or
# "5.1.1"), and only one
expect_status() {
	local line n
	line=$(status_line)
	n=$(grep -cE '^[245]\.[0-9]{1,3}\.[0-9]{1,3}( |$)' "$T/err$tag")
	case $line in
	"$1"*)
		if [ "$n" -eq 1 ]; then ok "status line '$line'"; else bad "$n status lines on stderr: $(tr '\n' '|' <"$T/err$tag")"; fi
		;;
	*) bad "status line '$line', want one starting '$1' (stderr: $(head -c 400 "$T/err$tag" | tr '\n' '|'))" ;;
	esac
}

# expect_quiet: a successful delivery says nothing on stderr
expect_quiet() {
	if [ -s "$T/err$tag" ]; then
		bad "stderr not empty: $(head -c 400 "$T/err$tag" | tr '\n' '|')"
	else
		ok "stderr empty"
	fi
}

# nfiles DIR: the regular files in DIR (0 when DIR is missing)
nfiles() {
	if [ -d "$1" ]; then
		find "$1" -mindepth 1 -maxdepth 1 -type f | wc -l
	else
		echo 0
	fi
}

# expect_count DIR N: DIR holds N messages
expect_count() {
	local n
	n=$(nfiles "$1")
	if [ "$n" -eq "$2" ]; then
		ok "${1#"$T"/} holds $2"
	else
		bad "${1#"$T"/} holds $n, want $2: $(ls -A "$1" 2>/dev/null | head -5 | tr '\n' ' ')"
	fi
}

# folder NAME: the Maildir folder of a mailbox (INBOX or a Maildir++ name)
folder() {
	if [ "$1" = INBOX ]; then echo "$home/Maildir"; else echo "$home/Maildir/.$1"; fi
}

# maildir_files KIND...: the files in KIND (new, cur, tmp) of every folder
maildir_files() {
	local d k
	[ -d "$home/Maildir" ] || return 0
	for d in "$home/Maildir" "$home/Maildir"/.[!.]*; do
		[ -d "$d" ] || continue
		for k in "$@"; do
			find "$d/$k" -mindepth 1 -maxdepth 1 -type f 2>/dev/null
		done
	done
}

# expect_nothing_visible: no message in new/ or cur/ of any folder and
# nothing left in tmp/
expect_nothing_visible() {
	local found
	found=$(maildir_files new cur tmp)
	if [ -z "$found" ]; then
		ok "nothing in any new/, cur/ or tmp/"
	else
		bad "files left: $(echo "$found" | sed "s|$T/||" | tr '\n' ' ')"
	fi
}

# expect_tmp_empty: nothing left in any tmp/
expect_tmp_empty() {
	local found
	found=$(maildir_files tmp)
	if [ -z "$found" ]; then ok "every tmp/ empty"; else bad "left in tmp/: $(echo "$found" | sed "s|$T/||" | tr '\n' ' ')"; fi
}

# only_message MAILBOX: the path of the one message in MAILBOX's new/
only_message() {
	find "$(folder "$1")/new" -mindepth 1 -maxdepth 1 -type f 2>/dev/null | head -n 1
}

# expect_delivered_once MAILBOX FILE: MAILBOX holds exactly one message,
# in new/, byte for byte FILE; no other folder holds anything
expect_delivered_once() {
	local box=$1 want=$2 all m
	all=$(maildir_files new cur | wc -l)
	m=$(only_message "$box")
	if [ "$all" -ne 1 ] || [ -z "$m" ]; then
		bad "want exactly one message, in $box/new; found $all: $(maildir_files new cur | sed "s|$T/||" | tr '\n' ' ')"
		return
	fi
	if cmp -s "$m" "$want"; then
		ok "delivered once into $box, byte for byte"
	else
		bad "the message in $box differs from what was sent ($(wc -c <"$m") bytes, want $(wc -c <"$want"))"
	fi
}

# svbin_valid FILE: FILE is a binary sieve-dump loads (or at least has
# the magic number, without sieve-dump)
svbin_valid() {
	if [ -n "$dump" ]; then
		"$dump" "$1" >/dev/null 2>&1
	else
		[ "$(head -c 7 "$1")" = SIFTSVB ]
	fi
}

# message FILE SUBJECT [BODY-BYTES]: a plain LF message with a unique
# Message-ID and a body of random text (base64: no line of it starts with
# "From ")
nmsg=0
message() {
	messages "$1" 1 "$2" "${3:-200}" 0
	mv "$1.1" "$1"
}

# messages PREFIX N SUBJECT SIZE STEP: N such messages PREFIX.1 ...
# PREFIX.N, the i-th with SIZE + i * STEP bytes of body, made by one awk
# over one read of /dev/urandom (forks are what make a suite slow)
messages() {
	local prefix=$1 n=$2 subject=$3 size=$4 step=$5
	local total=$((n * size + step * n * (n + 1) / 2 + n * 80))
	head -c "$total" /dev/urandom | base64 -w 76 |
		awk -v prefix="$prefix" -v n="$n" -v subject="$subject" -v size="$size" -v step="$step" \
			-v user="$user" -v id="$me.$$.$nmsg" '
		function start(i) {
			f = prefix "." i
			printf "From: Sender <sender@example.org>\nTo: %s@example.org\n", user > f
			printf "Subject: %s%s\n", subject, (n > 1 ? " " i : "") > f
			printf "Message-ID: <%s.%d@test.example>\n", id, i > f
			printf "Date: Tue, 02 Dec 2025 10:00:00 +0000\n\n" > f
			want = int((size + i * step) * 4 / 3)
			got = 0
		}
		BEGIN { i = 1; start(i) }
		i <= n {
			if (got > 0 && got + length($0) + 1 > want) {
				close(f)
				if (++i > n)
					exit
				start(i)
			}
			print > f
			got += length($0) + 1
		}
		END { if (i <= n) close(f) }'
	nmsg=$((nmsg + 1))
}
