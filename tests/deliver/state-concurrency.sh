#!/bin/bash
# state-concurrency.sh: two deliveries claim one state key at the same
# moment (src/delivery/state.c, sv_dlv_state_claim), as vacation does
# before it replies: exactly one of them may win, every time.
#
#   sqlite-race   $STATE_ROUNDS rounds (200 by default) of two processes
#                 that open one SQLite state database, wait at a barrier,
#                 are released together and claim the round's key; the
#                 winner commits. Each round: both exit 0, one "won", one
#                 "lost". Then the keys are marked.
#   redis-race    the same against a redis-server of our own on a free
#                 loopback port (without persistence); a SKIP line when
#                 redis-server is not installed.
#
# The claimers are tests/deliver/state-claim (state-claim.c).

. "${srcdir:-$(dirname "$0")/../..}/tests/deliver/lib.sh"

helper=$builddir/tests/deliver/state-claim
if [ ! -x "$helper" ]; then
	echo "$me: $helper is not built" >&2
	exit 99
fi
rounds=${STATE_ROUNDS:-200}

# the barrier: held open read-write here, so the claimers' opens never
# block; each claimer says it is ready with one byte on "ready" (its fd 4)
# and waits for one byte on "go" (its stdin)
mkfifo "$T/go" "$T/ready"
exec 3<>"$T/go" 4<>"$T/ready"

# race LOCATION: the rounds; ok when every round had exactly one winner
race() {
	local loc=$1 r i rc1 rc2 o1 o2 out good=0 first_bad= pids=()
	for ((r = 1; r <= rounds; r++)); do
		for i in 1 2; do
			"$helper" claim "$loc" "k$r" <"$T/go" >"$T/out.$i" 2>"$T/err.$i" &
			pids[i]=$!
		done
		bg_pids+=("${pids[1]}" "${pids[2]}")
		if ! read -r -t 20 -N 2 -u 4 _; then
			kill -9 "${pids[1]}" "${pids[2]}" 2>/dev/null
		fi
		printf gg >&3
		wait "${pids[1]}"
		rc1=$?
		wait "${pids[2]}"
		rc2=$?
		# (builtins only: the machine's time goes to the claimers)
		o1= o2=
		read -r o1 <"$T/out.1"
		read -r o2 <"$T/out.2"
		out="$rc1 $rc2 $o1 $o2"
		case $out in
		"0 0 won lost" | "0 0 lost won") good=$((good + 1)) ;;
		*) [ -n "$first_bad" ] || first_bad="round $r: $out $(cat "$T/err.1" "$T/err.2")" ;;
		esac
		bg_pids=("${bg_pids[@]:0:${#bg_pids[@]}-2}")
	done
	check "$rounds rounds, exactly one winner in each ($good good${first_bad:+; first bad: $first_bad})" \
		test "$good" -eq "$rounds"
	check "the first round's key is marked" test "$("$helper" seen "$loc" k1)" = seen
	check "the last round's key is marked" test "$("$helper" seen "$loc" "k$rounds")" = seen
	check "a key nobody claimed is not" test "$("$helper" seen "$loc" "k$((rounds + 1))")" = unseen
}

begin sqlite-race "$rounds rounds of two processes claiming one key in one SQLite database"
mkdir -p "$T/state"
race "sqlite:$T/state/.sift/state.db"

begin redis-race "$rounds rounds of two processes claiming one key on one Redis server"
redis=$(command -v redis-server || { [ -x /usr/bin/redis-server ] && echo /usr/bin/redis-server; })
if [ -z "$redis" ]; then
	echo "SKIP: $me: redis-server is not installed: the Redis race is not run"
else
	port=$("$helper" port)
	mkdir -p "$T/redis"
	"$redis" --save "" --appendonly no --port "$port" --bind 127.0.0.1 --dir "$T/redis" \
		--daemonize no >"$T/redis.log" 2>&1 &
	redis_pid=$!
	bg_pids+=("$redis_pid")
	if "$helper" ping "redis:127.0.0.1:$port"; then
		race "redis:127.0.0.1:$port"
	else
		bad "redis-server did not start on port $port: $(tail -3 "$T/redis.log")"
	fi
	kill "$redis_pid"
	wait "$redis_pid" 2>/dev/null
fi

finish
