#!/bin/sh
# tests/lda/postfix.sh: real mail through a real Postfix into sieve-deliver.
#
# A private Postfix (its own config_directory and queue_directory, the
# programs unpacked by ./bootstrap into /opt/sift-test/postfix, since the
# Postfix and Exim packages conflict) listens on 127.0.0.1 on a free port;
# nothing can leave it (default_transport and relay_transport are error:).
# A system user receives the mail; its Sieve script files messages into
# folders by subject, flags some, redirects one to a sendmail stub.
#
# Phase 1: local(8) runs sieve-deliver through mailbox_command, as the
# recipient.
# Phase 2: a pipe(8) transport runs it with the envelope as arguments, as
# the owner of the virtual users' mail (sift.conf's virtual-home), for
# the virtual user alice@example.com.
# Each phase sends a batch of messages with swaks, waits for the queue to
# drain, and checks the Maildir (lib.sh); then a full disk: the Maildir on a
# filled tmpfs, Postfix must defer the message and keep it queued, and
# deliver it exactly once after room is made and the queue flushed.
#
# The configuration lines come from doc/postfix.md (lda_snippet).
# Root is needed; without it, or without the unpacked Postfix: SKIP (77).

. "$(dirname "$0")/lib.sh"

BATCH=${SIFT_LDA_BATCH:-54}
PF_ROOT=${SIFT_POSTFIX_ROOT:-/opt/sift-test/postfix}

lda_init postfix
[ -x "$PF_ROOT/usr/sbin/postfix" ] ||
	skip "no Postfix unpacked in $PF_ROOT (./bootstrap check unpacks it)"
export LD_LIBRARY_PATH="$PF_ROOT/usr/lib/postfix"

pf=$T/postfix
conf=$pf/etc
log=$pf/log/maillog
mkdir -p "$conf" "$pf/queue" "$pf/data" "$pf/log"
postconf() { "$PF_ROOT/usr/sbin/postconf" -c "$conf" "$@"; }
postfix() { "$PF_ROOT/usr/sbin/postfix" -c "$conf" "$@"; }
postqueue() { "$PF_ROOT/usr/sbin/postqueue" -c "$conf" "$@"; }
postmap() { "$PF_ROOT/usr/sbin/postmap" -c "$conf" "$@"; }

# Postfix's own account and group (mail_owner, setgid_group): private names,
# so a machine's real Postfix, if any, is not touched.
lda_group sift-postdrop
lda_user sift-postfix "$pf/data"
lda_recipient siftpostfix
port=$(lda_free_port 2525)

cat >"$conf/main.cf" <<EOF
# main.cf of the private Postfix of tests/lda/postfix.sh
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
daemon_directory = $PF_ROOT/usr/lib/postfix/sbin
command_directory = $PF_ROOT/usr/sbin
shlib_directory = $PF_ROOT/usr/lib/postfix
meta_directory = $PF_ROOT/etc/postfix
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH=$PF_ROOT/usr/lib/postfix
mail_owner = sift-postfix
setgid_group = sift-postdrop
maillog_file = $log
maillog_file_prefixes = $pf/log
myhostname = mx.$LDA_DOMAIN
mydomain = $LDA_DOMAIN
myorigin = \$mydomain
mydestination = \$mydomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
default_transport = error:nothing leaves this test
relay_transport = error:nothing leaves this test
local_recipient_maps = unix:passwd.byname
alias_maps =
alias_database =
recipient_delimiter = +
biff = no
smtputf8_enable = no
smtpd_banner = \$myhostname ESMTP
EOF

# The services a delivery needs, none chrooted.
cat >"$conf/master.cf" <<EOF
$port     inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

# Way 1 of doc/postfix.md.
lda_snippet postfix.md main.cf-mailbox-command >>"$conf/main.cf"

pf_stop() {
	postfix stop >/dev/null 2>&1
	# master is gone when its pid file is
	lda_wait 20 sh -c "! kill -0 \$(cat '$pf/queue/pid/master.pid' 2>/dev/null) 2>/dev/null"
	pid=$(cat "$pf/queue/pid/master.pid" 2>/dev/null)
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
}

pf_dump_log() {
	if [ "$lda_fail" != 0 ] && [ -f "$log" ]; then
		echo "--- last lines of the Postfix log ($log)"
		tail -n 40 "$log"
	fi
}

# The queue's folders, as postfix-files (Postfix's list of its own files)
# says, and the quick-start flag: postfix start then skips its integrity
# checks, hundreds of processes that take long on a busy machine.
awk -F: -v q="$pf/queue" -v d="$pf/data" '
	$2 == "d" && $1 ~ /^\$(queue|data)_directory/ {
		p = $1; sub(/^\$queue_directory/, q, p); sub(/^\$data_directory/, d, p)
		o = $3 == "$mail_owner" ? "sift-postfix" : $3
		g = $4 == "$setgid_group" ? "sift-postdrop" : ($4 == "-" ? "" : $4)
		printf "mkdir -p %s && chown %s%s %s && chmod %s %s\n", p, o, (g == "" ? "" : ":" g), p, $5, p
	}' "$PF_ROOT/etc/postfix/postfix-files" | sh || hard_error "cannot make the queue folders"
touch "$pf/queue/quick-start"

say "start a private Postfix on 127.0.0.1:$port"
postfix start >"$T/start.log" 2>&1 || {
	cat "$T/start.log" "$log"
	hard_error "postfix start failed"
}
lda_at_exit pf_stop
lda_at_exit pf_dump_log
lda_wait_port "$port" 15 || {
	cat "$T/start.log" "$log" 2>/dev/null
	hard_error "Postfix does not listen on port $port"
}
ok "Postfix $(postconf -h mail_version) listens on 127.0.0.1:$port"

queue_empty() {
	postqueue -p 2>/dev/null | grep -q '^Mail queue is empty'
}

# queue ids in the queue now
queue_ids() {
	postqueue -p 2>/dev/null | sed -n 's/^\([0-9A-F][0-9A-F]*\)[*!]\{0,1\} .*/\1/p'
}

# the log from line $1 on
log_since() {
	tail -n +"$(($1 + 1))" "$log" 2>/dev/null
}

log_lines() {
	if [ -f "$log" ]; then wc -l <"$log"; else echo 0; fi
}

# phase NAME PREFIX RELAY: a batch, the checks, and the full disk
phase() {
	say "$1: $BATCH messages with swaks to $RCPT"
	mark=$(log_lines)
	t0=$(date +%s)
	lda_send_batch "$port" "$2" "$BATCH"
	check "$1: the queue drains (within 120 s)" lda_wait 120 queue_empty
	echo "   sent and delivered in $(($(date +%s) - t0)) s"
	lda_check_batch "$2" "$UHOME/Maildir"
	n=$(log_since "$mark" | grep -c "relay=$3,.*status=sent")
	check "$1: the log shows $BATCH deliveries by relay=$3 ($n)" test "$n" = "$BATCH"
	bad=$(log_since "$mark" | grep -c 'status=\(bounced\|deferred\)')
	check "$1: the log has no status=bounced or status=deferred ($bad)" test "$bad" = 0

	say "$1: a full disk defers, and the retry delivers once"
	lda_disk_full
	mark=$(log_lines)
	tok=$2-full
	lda_send "$port" "$tok" "" || not_ok "swaks could not send $tok"
	check "$1: Postfix logs status=deferred for the message" \
		lda_wait 30 sh -c "tail -n +$((mark + 1)) '$log' | grep -q 'status=deferred'"
	log_since "$mark" | grep 'status=deferred' | sed 's/^/   /'
	check "$1: the message is still in the queue" test "$(queue_ids | wc -l)" = 1
	check "$1: nothing stored, nothing left in tmp/" \
		test "$(find "$UHOME/Maildir" -type f ! -name filler | wc -l)" = 0
	lda_disk_free
	postqueue -f
	check "$1: after room is made and postqueue -f, the queue drains" lda_wait 60 queue_empty
	check "$1: the message is delivered exactly once" test "$(lda_count_token "$tok" "$UHOME/Maildir")" = 1
	check "$1: the log shows status=sent for it" \
		sh -c "tail -n +$((mark + 1)) '$log' | grep -q 'relay=$3,.*status=sent'"
	lda_disk_restore
}

phase "mailbox_command" pf1 local

say "switch to the pipe(8) transport for virtual users of doc/postfix.md"
# The virtual mail owner of the doc's vmail, and alice@example.com's home
# with the same script as the local user's.
lda_user sift-vmail "$T/vmail"
mkdir -p "$T/vmail"
chown sift-vmail: "$T/vmail"
chmod 700 "$T/vmail"
lda_snippet postfix.md sift.conf-virtual >>"$T/sift.conf"
lda_mailbox alice@example.com "$T/vmail/example.com/alice" sift-vmail
chown sift-vmail: "$T/vmail/example.com"
lda_snippet postfix.md master.cf-pipe >>"$conf/master.cf"
lda_snippet postfix.md main.cf-pipe >>"$conf/main.cf"
lda_snippet postfix.md vmailbox >"$conf/vmailbox"
postmap "$conf/vmailbox" || hard_error "postmap failed"
postfix reload >/dev/null 2>&1 || hard_error "postfix reload failed"
check "pipe: postconf -M shows the sift service running $LDA" \
	sh -c "'$PF_ROOT/usr/sbin/postconf' -c '$conf' -M sift/unix | grep -q 'user=sift-vmail argv=$LDA '"

phase "pipe(8)" pf2 sift

lda_finish
