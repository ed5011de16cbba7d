#!/bin/bash
# concurrency.sh: sieve-deliver run many times at once (issue 7, "Tests
# that must exist").
#
#   maildir-100   100 deliveries released together into one Maildir: 100
#                 messages, all distinct, each byte for byte what was sent
#                 (SHA-256), nothing left in tmp/
#   new-folder    30 deliveries at once into a folder none of them finds:
#                 each makes it or uses the one another made; all exit 0
#   folder-half-made  the same, made deterministic: one delivery makes the
#                 folder slowly (the shim sleeps before each mkdir), another
#                 one arrives when new/ exists and the rest does not yet
#   mbox-100      the same into one mbox (skipped, with a SKIP line, while
#                 the program has no mbox store: a trial delivery tells)
#   script-swap   50 deliveries while the user's script is replaced again
#                 and again (fileinto "Old" / fileinto "New") and its
#                 .svbin rebuilt by the deliveries themselves: every one
#                 exits 0 and is filed by one of the two scripts, never
#                 lost, never kept because of a half-written binary; the
#                 first delivery after the last swap follows the last
#                 script
#
# As root the deliveries run with -d for a test user, else as the caller.

. "${srcdir:-$(dirname "$0")/../..}/tests/deliver/lib.sh"

user_setup "sift-c$$"
build_shim

# launch N NAME [OPTION...]: N deliveries of $T/NAME.<i> in the
# background, all held at a barrier until release; each process becomes
# the program once released (one fork per delivery)
launch() {
	local n=$1 name=$2 i who=()
	shift 2
	[ $root = 1 ] && who=(-d "$user")
	rm -f "$T"/rc.*
	mkfifo "$T/go"
	# held open read-write here, so the children's opens never block and
	# their reads wait for the release
	exec 3<>"$T/go"
	pids=()
	for ((i = 1; i <= n; i++)); do
		(
			exec 3>&-
			read -r _ <"$T/go"
			HOME="$home" exec "$prog" "${who[@]}" -c "$conf" -o log=none "$@" \
				<"$T/$name.$i" >"$T/out.$i" 2>"$T/err.$i"
		) &
		pids+=($!)
	done
	bg_pids+=("${pids[@]}")
}

# collect: the exit status of each launched delivery into $T/rc.<i>
collect() {
	local i
	for ((i = 1; i <= ${#pids[@]}; i++)); do
		wait "${pids[i - 1]}"
		echo $? >"$T/rc.$i"
	done
	exec 3>&-
	rm -f "$T/go"
}

# release N: let all N go at once and wait for them
release() {
	local i
	for ((i = 1; i <= $1; i++)); do
		echo go >&3
	done
	collect
}

# expect_all_rc N WANT: every one of the N exited WANT
expect_all_rc() {
	local i n=0 r others=
	for ((i = 1; i <= $1; i++)); do
		r=$(cat "$T/rc.$i" 2>/dev/null || echo none)
		if [ "$r" = "$2" ]; then
			n=$((n + 1))
		elif [ -z "$others" ]; then
			others="#$i: exit $r ($(head -c 200 "$T/err.$i" 2>/dev/null | tr '\n' '|'))"
		fi
	done
	if [ "$n" -eq "$1" ]; then ok "all $1 exited $2"; else bad "$n of $1 exited $2; first other: $others"; fi
}

# sums FILE...: the sorted SHA-256 sums of the files
sums() {
	[ $# -gt 0 ] || return 0
	sha256sum "$@" | cut -d' ' -f1 | sort
}

# expect_same_sums SENT STORED: the two sorted lists are equal and have
# no duplicate
expect_same_sums() {
	local dups
	dups=$(uniq -d "$2" | wc -l)
	if [ "$dups" -ne 0 ]; then
		bad "$dups messages stored more than once"
	elif cmp -s "$1" "$2"; then
		ok "every message stored once, byte for byte ($(wc -l <"$2") SHA-256 sums match)"
	else
		bad "stored messages differ from those sent: $(comm -3 "$1" "$2" | wc -l) sums unmatched"
	fi
}

# ---- 100 into one Maildir ----

N=100
begin maildir-100 "$N deliveries at once into one Maildir -> $N messages, distinct, byte for byte, tmp/ empty"
reset_home
messages "$T/m" $N parallel 500 97
sums "$T"/m.* >"$T/sent"
launch $N m
release $N
expect_all_rc $N 0
expect_count "$(folder INBOX)/new" $N
expect_count "$(folder INBOX)/cur" 0
expect_tmp_empty
sums "$home/Maildir/new"/* >"$T/stored"
expect_same_sums "$T/sent" "$T/stored"
names=$(find "$home/Maildir/new" -type f -printf '%f\n' | sort | uniq -d | wc -l)
check "all file names distinct" test "$names" -eq 0

# ---- a new folder made by many at once ----

K=30
begin new-folder "$K deliveries at once into a folder that does not exist yet -> all exit 0, $K messages in it"
reset_home
set_script 'require "fileinto";
fileinto "Fresh";'
launch $K m
release $K
expect_all_rc $K 0
expect_count "$(folder Fresh)/new" $K
expect_count "$(folder INBOX)/new" 0
expect_tmp_empty
check "Fresh is a Maildir++ folder (maildirfolder)" test -f "$(folder Fresh)/maildirfolder"
check "no error in ~/.sieve.log${home:+ ($(head -c 300 "$home/.sieve.log" 2>/dev/null | tr '\n' '|'))}" \
	test ! -s "$home/.sieve.log"

begin folder-half-made "a delivery that finds a folder another one is still making -> both exit 0, both in it"
reset_home
set_script 'require "fileinto";
fileinto "Fresh";'
# the first delivery makes .Fresh slowly: 1.5 s before each mkdir in it,
# so the second one (slow to start under ASan) arrives in the window
with_fault FAULT_OP=mkdir FAULT_PATH="*/Maildir/.Fresh/*" FAULT_ERRNO=none FAULT_DELAY_MS=1500
tag=.1
deliver <"$T/m.1" &
p1=$!
bg_pids+=("$p1")
no_fault
half_made() {
	[ -d "$(folder Fresh)/new" ]
}
if wait_for half_made; then
	made=$(cd "$(folder Fresh)" && ls -d cur new tmp 2>/dev/null | tr '\n' ' ')
	ok "caught .Fresh half made (it has: $made)"
else
	bad ".Fresh/new never appeared"
fi
tag=.2
deliver <"$T/m.2"
echo "   -- the delivery that found it half made:"
expect_rc 0
wait "$p1"
rc=$?
tag=.1
echo "   -- the delivery making it:"
expect_rc 0
tag=
expect_fault_hit "mkdir .*/\.Fresh/"
expect_count "$(folder Fresh)/new" 2
expect_tmp_empty

# ---- 100 into one mbox ----

begin mbox-100 "$N deliveries at once into one mbox -> $N messages, distinct, byte for byte"
reset_home
# mbox:FOLDER:INBOX=FILE (sift.conf(5)): INBOX is one mbox file
mbox=$home/inbox.mbox
message "$T/trial" "mbox trial" 100
deliver -o "mail-location=mbox:$home/mail:INBOX=$home/trial.mbox" <"$T/trial"
if [ "$rc" -ne 0 ] || [ ! -f "$home/trial.mbox" ] || [ ! -s "$home/trial.mbox" ]; then
	echo "   SKIP this sieve-deliver has no mbox store (trial delivery: exit $rc: $(head -n 1 "$T/err"))"
	mbox=
fi
if [ -n "$mbox" ]; then
	launch $N m -f sender@example.org -o "mail-location=mbox:$home/mail:INBOX=$mbox"
	release $N
	expect_all_rc $N 0
	# split at the "From " lines (the bodies are base64: none of theirs
	# starts so); each message ends with the blank line mbox adds
	mkdir "$T/split"
	awk -v dir="$T/split" '
		/^From / { if (f) close(f); n++; f = sprintf("%s/%04d", dir, n); next }
		n { print > f }
	' "$mbox"
	got=$(find "$T/split" -type f | wc -l)
	check "$got messages in the mbox, want $N" test "$got" -eq $N
	for f in "$T/split"/*; do
		# drop the separating blank line
		head -c -1 "$f" >"$f.msg" && rm "$f"
	done
	sums "$T/split"/*.msg >"$T/stored"
	expect_same_sums "$T/sent" "$T/stored"
	check "no lock file left" test ! -e "$mbox.lock"
fi

# ---- the script replaced while deliveries run ----

M=50
begin script-swap "$M deliveries while the script is replaced 10 times -> all exit 0, each filed by the old or the new script"
reset_home
script_text() {
	printf 'require "fileinto";\n# version %s\nfileinto "%s";\n' "$2" "$1"
}
set_script "$(script_text Old 0)"
# the folders exist already: new-folder above is about making them
for box in Old New; do
	mkdir -p "$(folder $box)/cur" "$(folder $box)/new" "$(folder $box)/tmp"
	: >"$(folder $box)/maildirfolder"
done
own "$home/Maildir"
messages "$T/s" $M swap 300 31
sums "$T"/s.* >"$T/sent"
launch $M s
# the deliveries go in waves of 5, the script is swapped between waves
# (written beside, then renamed over it, as an upload does)
(
	exec 3>&-
	for ((v = 1; v <= 10; v++)); do
		if ((v % 2)); then box=New; else box=Old; fi
		script_text $box $v >"$home/sieve/main.sieve.new"
		own "$home/sieve/main.sieve.new"
		mv -f "$home/sieve/main.sieve.new" "$home/sieve/main.sieve"
		sleep 0.05
	done
) &
swapper=$!
bg_pids+=("$swapper")
for ((i = 1; i <= M; i++)); do
	echo go >&3
	((i % 5)) || sleep 0.05
done
wait "$swapper"
collect
expect_all_rc $M 0
old=$(nfiles "$(folder Old)/new")
new=$(nfiles "$(folder New)/new")
check "all $M filed by a script: $old into Old, $new into New" test $((old + new)) -eq $M
expect_count "$(folder INBOX)/new" 0
expect_tmp_empty
sums "$(folder Old)/new"/* "$(folder New)/new"/* >"$T/stored"
expect_same_sums "$T/sent" "$T/stored"
check "no error in ~/.sieve.log${home:+ ($(head -c 300 "$home/.sieve.log" 2>/dev/null | tr '\n' '|'))}" \
	test ! -s "$home/.sieve.log"
# the last version (10) files into Old: the next delivery must follow it
message "$T/last" "after the swaps" 100
deliver <"$T/last"
expect_rc 0
check "the delivery after the last swap follows the last script (Old)" \
	test "$(nfiles "$(folder Old)/new")" -eq $((old + 1))
bin=$home/sieve/main.svbin
if [ -f "$bin" ] && svbin_valid "$bin"; then
	ok "the .svbin is valid"
else
	bad "no valid .svbin beside the script"
fi
if [ $root = 1 ]; then
	check "the .svbin belongs to the user" test "$(stat -c %u:%g "$bin")" = "$uid:$gid"
fi
leftover=$(find "$home/sieve" -type f ! -name main.sieve ! -name main.svbin | sed "s|$T/||")
check "no temporary file left beside the script${leftover:+: $leftover}" test -z "$leftover"

finish
