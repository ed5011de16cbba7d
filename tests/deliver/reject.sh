#!/bin/bash
# reject.sh: reject and ereject (RFC 5429) as sieve-deliver carries them
# out, with a stub sendmail that records what it is given.
#
#   mdn        reject: an MDN goes to the envelope sender from the null
#              sender (§2.1), nothing is filed, exit 0
#   ereject    ereject without -e: the same MDN (§2.2)
#   null       the null sender: nothing sent, nothing filed, exit 0 (§2.1)
#   refuse     -e: exit 77, "5.7.1 <reason>" on stderr as the one status
#              line the MTA quotes (§2.1.1), nothing sent, nothing filed
#   refuse-e   -e with ereject: the same
#   sanitize   -e with a reason of several lines and non-ASCII text: one
#              ASCII line, bounded
#   conflict   reject with keep is a runtime error: the message is kept
#              and nothing is sent (RFC 5228 §2.10.6)
#   notify     enotify's mailto (RFC 5436) beside the implicit keep: the
#              message is filed and the notification sent from the null
#              sender to the URI's recipients
#   notify-e   -e with reject and notify: the refusal alone, nothing sent

. "${srcdir:-$(dirname "$0")/../..}/tests/deliver/lib.sh"

user_setup "sift-r$$"

stub=$T/sendmail
sent=$T/sent
cat >"$stub" <<STUB
#!/bin/sh
# one file of arguments and one of content per message
n=\$(ls "$sent" | wc -l)
printf '%s\n' "\$@" >"$sent/\$n.args"
cat >"$sent/\$n.msg.tmp"
mv "$sent/\$n.msg.tmp" "$sent/\$n.msg"
STUB
chmod 755 "$stub"
printf 'log = none\nsendmail = %s\n' "$stub" >"$conf"
chmod 644 "$conf"

msg=$T/msg
message "$msg" "reject test" 300

# nsent: messages handed to the stub
nsent() {
	find "$sent" -name '*.msg' | wc -l
}

reset_sent() {
	rm -rf "$sent"
	mkdir -p "$sent"
	chmod 777 "$sent"
}

expect_sent() {
	local n
	n=$(nsent)
	if [ "$n" -eq "$1" ]; then ok "$1 message(s) sent"; else bad "$n message(s) sent, want $1"; fi
}

# expect_args LINE...: the stub's arguments were exactly these lines
expect_args() {
	local want got
	want=$(printf '%s\n' "$@")
	got=$(cat "$sent/0.args" 2>/dev/null)
	if [ "$got" = "$want" ]; then
		ok "sendmail $(echo "$got" | tr '\n' ' ')"
	else
		bad "sendmail arguments '$(echo "$got" | tr '\n' ' ')', want '$(echo "$want" | tr '\n' ' ')'"
	fi
}

# expect_in_mdn TEXT: the sent message holds TEXT
expect_in_mdn() {
	if grep -qF -- "$1" "$sent/0.msg" 2>/dev/null; then ok "MDN has '$1'"; else bad "MDN lacks '$1'"; fi
}

begin mdn "reject: an MDN to the sender from the null sender, nothing filed"
reset_home
reset_sent
set_script 'require "reject"; reject "We do not want this";'
deliver -f sender@example.org -a "$user@example.org" <"$msg"
expect_rc 0
expect_quiet
expect_sent 1
expect_args -i -f '<>' -- sender@example.org
expect_in_mdn "Content-Type: multipart/report; report-type=disposition-notification"
expect_in_mdn "We do not want this"
expect_in_mdn "Final-Recipient: rfc822; $user@example.org"
expect_in_mdn "Subject: reject test"
expect_nothing_visible

begin ereject "ereject without -e: the same MDN"
reset_home
reset_sent
set_script 'require "ereject"; ereject "Not here";'
deliver -f sender@example.org -a "$user@example.org" <"$msg"
expect_rc 0
expect_sent 1
expect_args -i -f '<>' -- sender@example.org
expect_in_mdn "Not here"
expect_nothing_visible

begin null "the null sender: nothing sent, nothing filed"
reset_home
reset_sent
set_script 'require "reject"; reject "We do not want this";'
deliver -f '' -a "$user@example.org" <"$msg"
expect_rc 0
expect_sent 0
expect_nothing_visible

begin refuse "-e: exit 77 with the reason for the MTA"
reset_home
reset_sent
set_script 'require "reject"; reject "We do not want this";'
deliver -e -f sender@example.org -a "$user@example.org" <"$msg"
expect_rc 77
expect_status "5.7.1 We do not want this"
expect_sent 0
expect_nothing_visible

begin refuse-e "-e with ereject: the same"
reset_home
reset_sent
set_script 'require "ereject"; ereject "Not here";'
deliver -e -f sender@example.org -a "$user@example.org" <"$msg"
expect_rc 77
expect_status "5.7.1 Not here"
expect_sent 0
expect_nothing_visible

begin sanitize "-e: a reason of several lines and non-ASCII text is one ASCII line"
reset_home
reset_sent
long=$(head -c 3000 /dev/zero | tr '\0' x)
gruesse=$'Gr\xc3\xbc\xc3\x9fe'
set_script "require \"reject\"; reject text:
Line one
$gruesse
$long
.
;"
deliver -e -f sender@example.org -a "$user@example.org" <"$msg"
expect_rc 77
expect_status "5.7.1 Line one Gr??e xxx"
line=$(status_line)
if [ "${#line}" -le 480 ]; then ok "bounded (${#line} bytes)"; else bad "${#line} bytes"; fi
if [ "$(grep -c . "$T/err")" -eq 1 ]; then ok "one line on stderr"; else bad "stderr: $(tr '\n' '|' <"$T/err")"; fi
if LC_ALL=C grep -q '[^[:print:]]' "$T/err"; then bad "not printable ASCII"; else ok "printable ASCII"; fi
expect_sent 0

begin conflict "reject with keep: a runtime error keeps the message, nothing sent"
reset_home
reset_sent
set_script 'require "reject"; keep; reject "no";'
deliver -e -f sender@example.org -a "$user@example.org" <"$msg"
expect_rc 0
expect_sent 0
expect_delivered_once INBOX "$msg"

begin notify "notify: the message is filed and the notification sent"
reset_home
reset_sent
set_script 'require "enotify"; notify :message "New mail" "mailto:pager@example.net?cc=desk@example.net";'
deliver -f sender@example.org -a "$user@example.org" <"$msg"
expect_rc 0
expect_quiet
expect_sent 1
expect_args -i -f '<>' -- pager@example.net desk@example.net
expect_in_mdn "Subject: New mail"
expect_in_mdn "Auto-Submitted: auto-notified"
expect_in_mdn "From: $user@example.org"
expect_delivered_once INBOX "$msg"

begin notify-e "-e with reject and notify: only the refusal"
reset_home
reset_sent
set_script 'require ["enotify", "reject"]; notify "mailto:pager@example.net"; reject "No";'
deliver -e -f sender@example.org -a "$user@example.org" <"$msg"
expect_rc 77
expect_status "5.7.1 No"
expect_sent 0
expect_nothing_visible

finish
