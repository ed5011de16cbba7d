#!/bin/sh
# tests/lda/exim.sh: real mail through a real Exim into sieve-deliver.
#
# A private Exim daemon (Debian's exim4-daemon-light, run with -C and its
# own spool, log and pid paths) listens on 127.0.0.1 on a free port and
# accepts mail only for example.org; there is no route to anywhere else.
# The router and the taint-safe pipe transport come from doc/exim.md
# (lda_snippet). A system user receives the mail; its Sieve script files
# messages into folders by subject, flags some, redirects one to a
# sendmail stub.
#
# A batch of messages with swaks, the queue drains, the Maildir is checked
# (lib.sh); then a full disk: the Maildir on a filled tmpfs, Exim must
# defer the message (exit 75, temp_errors) and keep it queued, and deliver
# it exactly once after room is made and the queue is run (-qff).
#
# With -C, Exim keeps root for deliveries only when the configuration is
# listed in /etc/exim4/trusted_configs: the test adds its file there for
# the run and takes it out again.
# Root is needed; without it, or without Exim: SKIP (77).

. "$(dirname "$0")/lib.sh"

BATCH=${SIFT_LDA_BATCH:-54}
EXIM=${SIFT_EXIM:-/usr/sbin/exim4}
TRUSTED=/etc/exim4/trusted_configs

lda_init exim
[ -x "$EXIM" ] || skip "Exim is not installed ($EXIM; ./bootstrap check installs exim4-daemon-light)"
EXIM_USER=Debian-exim
getent passwd "$EXIM_USER" >/dev/null || skip "no $EXIM_USER account (Debian's exim4 packages create it)"

ex=$T/exim
conf=$ex/exim.conf
log=$ex/log/mainlog
mkdir -p "$ex/spool" "$ex/log"
chown "$EXIM_USER:" "$ex/spool" "$ex/log"
exim() { "$EXIM" -C "$conf" "$@"; }

lda_recipient siftexim
port=$(lda_free_port 2625)

{
	cat <<EOF
# configuration of the private Exim of tests/lda/exim.sh
primary_hostname = mx.$LDA_DOMAIN
domainlist local_domains = $LDA_DOMAIN
qualify_domain = $LDA_DOMAIN
exim_user = $EXIM_USER
exim_group = $EXIM_USER
never_users = root
spool_directory = $ex/spool
log_file_path = $ex/log/%slog
pid_file_path = $ex/exim.pid
local_interfaces = 127.0.0.1
daemon_smtp_ports = $port
host_lookup =
rfc1413_hosts =
keep_environment =
tls_advertise_hosts =
acl_smtp_rcpt = acl_check_rcpt

begin acl

acl_check_rcpt:
  accept hosts = 127.0.0.1
         domains = +local_domains
  deny   message = nothing is relayed here

begin routers

EOF
	lda_snippet exim.md exim-router
	printf '\nbegin transports\n\n'
	lda_snippet exim.md exim-transport
	printf '\nbegin retry\n\n*   *   F,1h,1m\n'
} >"$conf"
chmod 644 "$conf"

# trusted_configs: add the line for the run
trusted_added=
if [ -f "$TRUSTED" ]; then trusted_had=1; else trusted_had=; fi
echo "$conf" >>"$TRUSTED" && chmod 644 "$TRUSTED" && trusted_added=1
untrust() {
	[ -n "$trusted_added" ] || return 0
	if [ -n "$trusted_had" ]; then
		grep -vxF "$conf" "$TRUSTED" >"$TRUSTED.sift-lda" && cat "$TRUSTED.sift-lda" >"$TRUSTED"
		rm -f "$TRUSTED.sift-lda"
	else
		rm -f "$TRUSTED"
	fi
}
lda_at_exit untrust

check "Exim accepts the configuration with the snippets of doc/exim.md" \
	sh -c "'$EXIM' -C '$conf' -bV >'$T/bV.log' 2>&1"
grep -iv '^\(exim version\|copyright\|(c)\|berkeley\|support for\|lookups\|authenticators\|routers\|transports\|fixed\|configure owner\|size of\|configuration file\)' \
	"$T/bV.log" | sed 's/^/   /'
route=$(exim -bt "$RCPT" 2>&1)
check "exim -bt $RCPT: router sift_user, transport sift_pipe" \
	sh -c "echo '$route' | grep -q 'router = sift_user, transport = sift_pipe'"

say "start a private Exim on 127.0.0.1:$port"
"$EXIM" -C "$conf" -bdf >"$T/exim-daemon.log" 2>&1 &
exim_pid=$!
exim_stop() {
	kill "$exim_pid" 2>/dev/null
	# gone, or a zombie (our child, reaped by the wait below)
	lda_wait 10 sh -c "case \$(ps -o stat= -p $exim_pid) in ''|Z*) exit 0 ;; esac; exit 1" ||
		kill -9 "$exim_pid" 2>/dev/null
	wait "$exim_pid" 2>/dev/null
}
exim_dump_log() {
	if [ "$lda_fail" != 0 ]; then
		echo "--- last lines of the Exim logs ($ex/log)"
		tail -n 30 "$log" "$ex/log/paniclog" "$ex/log/rejectlog" "$T/exim-daemon.log" 2>/dev/null
	fi
}
lda_at_exit exim_stop
lda_at_exit exim_dump_log
lda_wait_port "$port" 15 || {
	cat "$T/exim-daemon.log" "$ex/log/paniclog" 2>/dev/null
	hard_error "Exim does not listen on port $port"
}
ok "Exim $("$EXIM" -bV 2>/dev/null | sed -n '1s/^Exim version \([^ ]*\).*/\1/p') listens on 127.0.0.1:$port"

queue_count() {
	exim -bpc 2>/dev/null
}
queue_empty() {
	[ "$(queue_count)" = 0 ]
}
log_since() {
	tail -n +"$(($1 + 1))" "$log" 2>/dev/null
}
log_lines() {
	if [ -f "$log" ]; then wc -l <"$log"; else echo 0; fi
}

say "$BATCH messages with swaks to $RCPT"
mark=$(log_lines)
t0=$(date +%s)
lda_send_batch "$port" ex1 "$BATCH"
check "the queue drains (within 120 s)" lda_wait 120 queue_empty
echo "   sent and delivered in $(($(date +%s) - t0)) s"
lda_check_batch ex1 "$UHOME/Maildir"
n=$(log_since "$mark" | grep -c ' => .* R=sift_user T=sift_pipe')
check "the log shows $BATCH deliveries by R=sift_user T=sift_pipe ($n)" test "$n" = "$BATCH"
bad=$(log_since "$mark" | grep -c ' \(==\|\*\*\) ')
check "the log has no deferral (==) or bounce (**) ($bad)" test "$bad" = 0
log_since "$mark" | grep ' \(==\|\*\*\) ' | head -5 | sed 's/^/   /'

say "a full disk defers, and the retry delivers once"
lda_disk_full
mark=$(log_lines)
tok=ex1-full
lda_send "$port" "$tok" "" || not_ok "swaks could not send $tok"
check "Exim logs a deferral (==) for the message" \
	lda_wait 30 sh -c "tail -n +$((mark + 1)) '$log' | grep -q ' == $RCPT'"
log_since "$mark" | grep ' == ' | sed 's/^/   /'
check "the message is still in the queue" test "$(queue_count)" = 1
check "nothing stored, nothing left in tmp/" \
	test "$(find "$UHOME/Maildir" -type f ! -name filler | wc -l)" = 0
lda_disk_free
exim -qff
check "after room is made and exim -qff, the queue drains" lda_wait 60 queue_empty
check "the message is delivered exactly once" test "$(lda_count_token "$tok" "$UHOME/Maildir")" = 1
check "the log shows its delivery (=>)" \
	sh -c "tail -n +$((mark + 1)) '$log' | grep -q ' => .* R=sift_user T=sift_pipe'"
lda_disk_restore

lda_finish
