#!/bin/bash
# vacation.sh: sieve-deliver with the user's state store (sift.conf's
# state; src/delivery/run.c), the vacation action (RFC 5230) and the
# duplicate test (RFC 7352), against SQLite and against a redis-server of
# our own on a free loopback port. Replies go through a stub sendmail
# that keeps each message it is given, with its command line.
#
#   sqlite-vacation   one reply to a first message, none to a second from
#                     the same sender (another process: the state is on
#                     disk), one to another sender; the reply's envelope
#                     sender is null (§5)
#   sqlite-parallel   $ROUNDS rounds of two deliveries for one user from
#                     one new sender at once: exactly one reply, both
#                     messages filed, both exit 0
#   sqlite-duplicate  the second delivery of a Message-ID is a duplicate;
#                     a delivery that fails (over quota, 75) marks nothing;
#                     two copies at once: exactly one duplicate
#   redis-*           the same against Redis, and the state survives a
#                     restart of the server (append-only file); a server
#                     that is down is a temporary failure (75) and files
#                     nothing
#
# The Redis cases print a SKIP line when redis-server is not installed.

. "${srcdir:-$(dirname "$0")/../..}/tests/deliver/lib.sh"

helper=$builddir/tests/deliver/state-claim
if [ ! -x "$helper" ]; then
	echo "$me: $helper is not built" >&2
	exit 99
fi
rounds=${ROUNDS:-10}

user_setup "siftvac$$"

# the stub sendmail: each message in its own file under $T/sent, the
# command line first
mkdir -p "$T/sent"
chmod 777 "$T/sent"
cat >"$T/sendmail" <<EOF
#!/bin/sh
f=\$(mktemp "$T/sent/msg.XXXXXX") || exit 75
{ echo "ARGS: \$*"; cat; } >"\$f"
exit 0
EOF
chmod 755 "$T/sendmail"

vacation_script='require "vacation";
vacation :days 3 "I am away.";'
duplicate_script='require ["duplicate", "fileinto"];
if duplicate { fileinto "Dups"; }'

# configure LOCATION: sift.conf with this state store ("" the default)
configure() {
	{
		printf 'log = none\nsendmail = %s\n' "$T/sendmail"
		[ -n "$1" ] && printf 'state = %s\n' "$1"
	} >"$conf"
}

# message FROM [MESSAGE-ID]: a message to bob@example.org on stdin
message() {
	printf 'From: %s\nTo: Bob <bob@example.org>\nSubject: Hello %s\n' "$1" "$1"
	[ -n "$2" ] && printf 'Message-ID: <%s>\n' "$2"
	printf '\nHi.\n'
}

# send_from FROM [MESSAGE-ID] [OPTION...]: one delivery
send_from() {
	local from=$1 id=$2
	shift 2
	message "$from" "$id" >"$T/msg$tag"
	deliver -f "$from" -a bob@example.org -r bob@example.org "$@" <"$T/msg$tag"
}

replies() { nfiles "$T/sent"; }

# expect_replies N: N replies were sent so far
expect_replies() {
	local n
	n=$(replies)
	if [ "$n" -eq "$1" ]; then ok "$1 replies sent"; else bad "$n replies sent, want $1"; fi
}

# vacation_cases LOCATION: the sequential and parallel cases on a store
vacation_cases() {
	local loc=$1 kind=$2 r n pid1 pid2 rc1 rc2 before
	reset_home
	rm -f "$T/sent"/*
	configure "$loc"
	set_script "$vacation_script"

	begin "$kind-vacation" "a first message gets a reply, a second from the same sender none"
	send_from alice@example.com ""
	expect_rc 0
	expect_replies 1
	local f
	f=$(find "$T/sent" -type f | head -n 1)
	check "the reply's envelope sender is null (RFC 5230 §5)" grep -q '^ARGS: .*-f <> ' "$f"
	check "the reply goes to the sender" grep -q '^ARGS: .* alice@example.com$' "$f"
	check "the reply is auto-replied" grep -q '^Auto-Submitted: auto-replied' "$f"
	check "the message is filed" test "$(maildir_files new | wc -l)" -eq 1
	send_from alice@example.com ""
	expect_rc 0
	expect_replies 1
	send_from carol@example.com ""
	expect_rc 0
	expect_replies 2
	check "both messages and the third are filed" test "$(maildir_files new | wc -l)" -eq 3

	begin "$kind-parallel" "$rounds rounds of two deliveries from one new sender at once"
	local good=0 first_bad=
	for ((r = 1; r <= rounds; r++)); do
		before=$(replies)
		tag=.1 send_from "p$r@example.com" "" &
		pid1=$!
		tag=.2 send_from "p$r@example.com" "" &
		pid2=$!
		bg_pids+=("$pid1" "$pid2")
		wait "$pid1"
		rc1=$?
		wait "$pid2"
		rc2=$?
		bg_pids=("${bg_pids[@]:0:${#bg_pids[@]}-2}")
		n=$(($(replies) - before))
		if [ "$n" -eq 1 ] && [ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ]; then
			good=$((good + 1))
		else
			[ -n "$first_bad" ] || first_bad="round $r: $n replies, exits $rc1 $rc2 $(cat "$T/err.1" "$T/err.2" | tr '\n' '|')"
		fi
	done
	tag=
	check "exactly one reply and two clean exits in every round ($good of $rounds${first_bad:+; first bad: $first_bad})" \
		test "$good" -eq "$rounds"
	check "every message was filed" test "$(maildir_files new | wc -l)" -eq $((3 + 2 * rounds))
	# what the races wrote is whole: every sender of a round is remembered
	before=$(replies)
	for ((r = 1; r <= rounds; r++)); do
		send_from "p$r@example.com" ""
		[ "$rc" -eq 0 ] || break
	done
	check "after the races every sender is remembered (no second reply, exit $rc)" \
		test "$(replies)" -eq "$before" -a "$rc" -eq 0
}

# duplicate_cases LOCATION KIND
duplicate_cases() {
	local loc=$1 kind=$2 r pid1 pid2 rc1 rc2
	reset_home
	configure "$loc"
	set_script "$duplicate_script"

	begin "$kind-duplicate" "the second delivery of a Message-ID is a duplicate; a failed one marks nothing"
	send_from alice@example.com "one@example.com"
	expect_rc 0
	expect_count "$(folder INBOX)/new" 1
	send_from alice@example.com "one@example.com"
	expect_rc 0
	expect_count "$(folder Dups)/new" 1
	# over quota: the delivery fails for now after the test ran
	send_from alice@example.com "two@example.com" -o quota-bytes=10
	expect_rc 75
	expect_count "$(folder INBOX)/new" 1
	# (the quota was written into maildirsize: gone with it)
	rm -f "$home/Maildir/maildirsize"
	send_from alice@example.com "two@example.com"
	expect_rc 0
	expect_count "$(folder INBOX)/new" 2
	expect_count "$(folder Dups)/new" 1

	begin "$kind-duplicate-parallel" "$rounds rounds of two copies of one new Message-ID at once"
	local good=0 first_bad= inbox dups
	for ((r = 1; r <= rounds; r++)); do
		inbox=$(nfiles "$(folder INBOX)/new")
		dups=$(nfiles "$(folder Dups)/new")
		tag=.1 send_from alice@example.com "par$r@example.com" &
		pid1=$!
		tag=.2 send_from alice@example.com "par$r@example.com" &
		pid2=$!
		bg_pids+=("$pid1" "$pid2")
		wait "$pid1"
		rc1=$?
		wait "$pid2"
		rc2=$?
		bg_pids=("${bg_pids[@]:0:${#bg_pids[@]}-2}")
		inbox=$(($(nfiles "$(folder INBOX)/new") - inbox))
		dups=$(($(nfiles "$(folder Dups)/new") - dups))
		if [ "$inbox" -eq 1 ] && [ "$dups" -eq 1 ] && [ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ]; then
			good=$((good + 1))
		else
			[ -n "$first_bad" ] || first_bad="round $r: inbox +$inbox dups +$dups, exits $rc1 $rc2 $(cat "$T/err.1" "$T/err.2" | tr '\n' '|')"
		fi
	done
	tag=
	check "one copy new and one a duplicate in every round ($good of $rounds${first_bad:+; first bad: $first_bad})" \
		test "$good" -eq "$rounds"
}

# ---- SQLite: the default location, ~/.sift/state.db ----
begin lazy "a delivery whose script uses neither extension opens no state store"
reset_home
configure ""
set_script 'keep;'
send_from alice@example.com ""
expect_rc 0
check "no ~/.sift/state.db" test ! -e "$home/.sift/state.db"

vacation_cases "" sqlite
check "the state is the user's SQLite database" test -f "$home/.sift/state.db"

begin sqlite-dry-run "sieve-test --state asks the store and never writes it"
printf '%s\n' "$vacation_script" >"$T/dry.sieve"
message alice@example.com "" >"$T/dry-alice.eml"
message erin@example.com "" >"$T/dry-erin.eml"
for i in 1 2; do
	"$builddir/sieve-test" --state "sqlite:$home/.sift/state.db" -f alice@example.com \
		-a bob@example.org "$T/dry.sieve" "$T/dry-alice.eml" >"$T/dry.out" 2>&1
	check "alice had her reply: none now (run $i)" grep -q "no reply: a reply went" "$T/dry.out"
	"$builddir/sieve-test" --state "sqlite:$home/.sift/state.db" -f erin@example.com \
		-a bob@example.org "$T/dry.sieve" "$T/dry-erin.eml" >"$T/dry.out" 2>&1
	check "erin would get one, and the dry run did not record it (run $i)" \
		grep -q "send vacation reply to: <erin@example.com>" "$T/dry.out"
done
"$builddir/sieve-test" --state "sqlite:$T/none/state.db" -f erin@example.com \
	-a bob@example.org "$T/dry.sieve" "$T/dry-erin.eml" >"$T/dry.out" 2>&1
check "a database that is not there is not made" test ! -e "$T/none"
duplicate_cases "" sqlite

# ---- Redis ----
redis=$(command -v redis-server || { [ -x /usr/bin/redis-server ] && echo /usr/bin/redis-server; })
if [ -z "$redis" ]; then
	echo
	echo "SKIP: $me: redis-server is not installed: the Redis cases are not run"
	finish
fi
port=$("$helper" port)
mkdir -p "$T/redis"
redis_pid=
start_redis() {
	"$redis" --save "" --appendonly yes --appendfsync always --port "$port" --bind 127.0.0.1 \
		--dir "$T/redis" --daemonize no >>"$T/redis.log" 2>&1 &
	redis_pid=$!
	bg_pids+=("$redis_pid")
	wait_for "$helper" ping "redis:127.0.0.1:$port"
}
stop_redis() {
	kill "$redis_pid" 2>/dev/null
	wait "$redis_pid" 2>/dev/null
	redis_pid=
}
if ! start_redis; then
	bad "redis-server did not start on port $port: $(tail -3 "$T/redis.log")"
	finish
fi
loc="redis:127.0.0.1:$port"
vacation_cases "$loc" redis

begin redis-restart "the state survives a restart of the server"
stop_redis
start_redis || bad "redis-server did not start again: $(tail -3 "$T/redis.log")"
before=$(replies)
send_from alice@example.com ""
expect_rc 0
check "no second reply to alice after the restart" test "$(replies)" -eq "$before"

duplicate_cases "$loc" redis

begin redis-down "a state store that cannot be reached defers the delivery and files nothing"
stop_redis
reset_home
set_script "$vacation_script"
send_from dave@example.com ""
expect_rc 75
expect_status "4."
expect_nothing_visible
set_script "$duplicate_script"
send_from dave@example.com "down@example.com"
expect_rc 75
expect_nothing_visible
set_script 'keep;'
send_from dave@example.com "down2@example.com"
expect_rc 0
check "a script without vacation or duplicate never asks the store" test "$(maildir_files new | wc -l)" -eq 1

finish
