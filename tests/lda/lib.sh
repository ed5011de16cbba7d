# tests/lda/lib.sh: what postfix.sh and exim.sh share. Sourced, not run.
#
# The end-to-end tests deliver real mail through a private MTA on loopback
# into sieve-deliver and look at the Maildir afterwards. This file holds
# the parts that do not depend on the MTA:
#   - counting checks and the closing "N passed, M failed" line;
#   - the scratch folder, and cleaning everything up on any exit (trap);
#   - creating the system users a run needs, and removing them after;
#   - the recipient's Sieve script, sift.conf and the sendmail stub that
#     records redirects;
#   - sending a batch of messages with swaks and remembering where each
#     one must end up (expect file);
#   - checking the Maildir and the stub's records against that file;
#   - the full disk: a small tmpfs mounted on the Maildir and filled up;
#   - taking the configuration snippets out of doc/postfix.md and
#     doc/exim.md, so the documentation is what is tested.
#
# Exit codes: 0 all checks passed, 1 some failed, 77 SKIP (not root, or the
# MTA is not installed: ./bootstrap installs both), 99 a hard error.

LDA_DOMAIN=example.org    # the domain the private MTA receives for
LDA_FWD=fwd@example.net   # where the test script redirects [fwd] messages
LDA_SENDER=sender@example.net

lda_pass=0
lda_fail=0
lda_cleanups=
lda_users_created=
lda_groups_created=
lda_users_rehomed=
lda_mounts=
lda_pids=

ok() {
	lda_pass=$((lda_pass + 1))
	echo "ok: $*"
}

not_ok() {
	lda_fail=$((lda_fail + 1))
	echo "FAIL: $*"
}

# check DESCRIPTION COMMAND...: one check, by the command's exit status
check() {
	lda_desc=$1
	shift
	if "$@"; then ok "$lda_desc"; else not_ok "$lda_desc"; fi
}

skip() {
	echo "SKIP: $*"
	exit 77
}

hard_error() {
	echo "ERROR: $*"
	exit 99
}

# The closing line the harness counts (bootstrap's tally).
lda_finish() {
	echo "$lda_pass passed, $lda_fail failed"
	[ "$lda_fail" = 0 ] && exit 0
	exit 1
}

lda_t0=$(date +%s)
say() {
	echo "== [$(($(date +%s) - lda_t0)) s] $*"
}

# Run the cleanups in reverse order of registration.
lda_on_exit() {
	lda_rc=$?
	set +e
	for c in $lda_cleanups; do
		$c
	done
	for m in $lda_mounts; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	for u in $lda_users_created; do
		lda_retry userdel "$u"
		getent group "$u" >/dev/null && lda_retry groupdel "$u"
	done
	for g in $lda_groups_created; do
		lda_retry groupdel "$g"
	done
	for uh in $lda_users_rehomed; do
		lda_retry usermod -d "${uh#*:}" "${uh%%:*}"
	done
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		if [ -n "${SIFT_LDA_KEEP:-}" ]; then
			echo "kept $T"
		else
			rm -rf "$T"
		fi
	fi
	exit "$lda_rc"
}

# lda_at_exit FUNCTION: run FUNCTION on exit (before users and the scratch
# folder go); the last registered runs first.
lda_at_exit() {
	lda_cleanups="$1 $lda_cleanups"
}

# useradd and friends fail while another process holds /etc/passwd's lock
# (the two tests run in parallel under make -j2): retry a few times.
lda_retry() {
	n=0
	until "$@" 2>"$T/retry.err"; do
		n=$((n + 1))
		if [ $n -ge 20 ]; then
			cat "$T/retry.err" >&2
			return 1
		fi
		sleep 0.5
	done
}

# lda_init NAME: root and swaks or SKIP; the programs; the scratch folder T.
lda_init() {
	lda_name=$1
	[ "$(id -u)" = 0 ] || skip "$lda_name needs root (system users, an MTA, a tmpfs mount)"
	command -v swaks >/dev/null 2>&1 || skip "swaks is not installed (./bootstrap installs it)"
	command -v useradd >/dev/null 2>&1 || skip "useradd is not available"
	# One run of each test at a time on the machine: two would share the
	# users. flock -o keeps the lock out of the MTA daemons' hands.
	if [ -z "${SIFT_LDA_LOCKED:-}" ] && command -v flock >/dev/null 2>&1; then
		export SIFT_LDA_LOCKED=1
		lock=/run/lock
		[ -d "$lock" ] || lock=/tmp
		exec flock -o -E 99 -w 1200 "$lock/sift-lda-$lda_name.lock" sh "$0"
	fi
	srcdir=${srcdir:-.}
	bindir=${SIFT_BINDIR:-$(pwd)}
	case $bindir in /*) ;; *) bindir=$(pwd)/$bindir ;; esac
	case $srcdir in /*) ;; *) srcdir=$(pwd)/$srcdir ;; esac
	docdir=$srcdir/doc
	[ -f "$docdir/postfix.md" ] || docdir=$(cd "$(dirname "$0")/../../doc" && pwd)
	# SIFT_LDA runs the tests against another delivery agent (a stand-in).
	LDA=${SIFT_LDA:-$bindir/sieve-deliver}
	[ -x "$LDA" ] || hard_error "$LDA not found (set SIFT_BINDIR, or build first)"
	T=$(mktemp -d "${TMPDIR:-/tmp}/sift-lda-$lda_name.XXXXXX") || hard_error "mktemp failed"
	# The MTA's own users and the recipient walk into it.
	chmod 755 "$T"
	trap lda_on_exit EXIT
	trap 'echo "ERROR: interrupted"; exit 99' HUP INT TERM
	echo "$lda_name: scratch folder $T, delivery agent $LDA"
}

# lda_group NAME: a system group, created for the run when missing.
lda_group() {
	getent group "$1" >/dev/null && return 0
	lda_retry groupadd --system "$1" || hard_error "groupadd $1 failed"
	lda_groups_created="$lda_groups_created $1"
}

# lda_user NAME HOME: a system user whose home is HOME, created for the run
# when missing (and removed after), else pointed at HOME for the run.
lda_user() {
	if getent passwd "$1" >/dev/null; then
		old=$(getent passwd "$1" | cut -d: -f6)
		lda_retry usermod -d "$2" "$1" || hard_error "usermod $1 failed"
		lda_users_rehomed="$lda_users_rehomed $1:$old"
	else
		lda_retry useradd --system --user-group --no-create-home --home-dir "$2" \
			--shell /usr/sbin/nologin "$1" || hard_error "useradd $1 failed"
		lda_users_created="$lda_users_created $1"
	fi
}

# lda_recipient NAME: a system user who receives mail as NAME@example.org
# (lda_mailbox), the sendmail stub ($T/bin/sendmail) that writes what it
# is given into $T/outbox, and sift.conf ($T/sift.conf).
lda_recipient() {
	lda_user "$1" "$T/home/$1"
	lda_mailbox "$1@$LDA_DOMAIN" "$T/home/$1" "$1"
	mkdir -p "$T/bin" "$T/outbox"
	# the stub runs as whoever delivers: the recipient, or a virtual mail owner
	chmod 1777 "$T/outbox"
	cat >"$T/bin/sendmail" <<EOF
#!/bin/sh
# sendmail stand-in: records its arguments and the message in $T/outbox
n=$T/outbox/\$(date +%s%N).\$\$
cat >"\$n.msg" || exit 75
printf '%s\n' "\$@" >"\$n.args" || exit 75
EOF
	chmod 755 "$T/bin/sendmail"
	cat >"$T/sift.conf" <<EOF
# sift.conf of the $lda_name end-to-end test
mail-location = maildir:~/Maildir
sieve-dir = ~/sieve
sieve-active = ~/.sieve
sendmail = $T/bin/sendmail
log = none
EOF
	chmod 644 "$T/sift.conf"
}

# lda_mailbox ADDRESS HOME OWNER: the mail of ADDRESS is delivered into
# HOME/Maildir, by the account OWNER, through the Sieve script HOME/.sieve:
# sets RCPT, UHOME, OWNER.
lda_mailbox() {
	RCPT=$1
	UHOME=$2
	OWNER=$3
	mkdir -p "$UHOME/sieve"
	# RFC 5232 §3.2: addflag before fileinto/keep gives them the flag.
	cat >"$UHOME/sieve/e2e.sieve" <<'EOF'
require ["fileinto", "imap4flags"];
if header :contains "subject" "[flag]" {
	addflag "\\Flagged";
}
if header :contains "subject" "[fwd]" {
	redirect "fwd@example.net";
	stop;
}
if header :contains "subject" "[work]" {
	fileinto "Work";
} elsif header :contains "subject" "[lists]" {
	fileinto "Lists.Sift";
}
EOF
	ln -s sieve/e2e.sieve "$UHOME/.sieve"
	chown -R "$OWNER:" "$UHOME"
	chmod 700 "$UHOME"
}

# lda_free_port FROM: the first port from FROM on that nothing listens on.
lda_free_port() {
	p=$1
	while [ "$p" -lt $(($1 + 200)) ]; do
		if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
		p=$((p + 1))
	done
	hard_error "no free port from $1"
}

# lda_wait_port PORT SECONDS: until something listens on 127.0.0.1:PORT.
lda_wait_port() {
	n=0
	while [ $n -lt $(($2 * 10)) ]; do
		ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}

# lda_wait SECONDS COMMAND...: until COMMAND succeeds, polled every 0.2 s.
lda_wait() {
	lda_limit=$(($1 * 5))
	shift
	n=0
	while [ $n -lt $lda_limit ]; do
		"$@" && return 0
		sleep 0.2
		n=$((n + 1))
	done
	return 1
}

# lda_send PORT TOKEN SUBJECT-TAGS [SENDER]: one message with swaks. The
# token is in the Message-Id (<TOKEN@sift.test>), the Subject and the body.
lda_send() {
	swaks --silent 2 --server 127.0.0.1 --port "$1" --helo client.sift.test \
		--from "${4:-$LDA_SENDER}" --to "$RCPT" \
		--header "Subject: $2 $3" --header "Message-Id: <$2@sift.test>" \
		--body "token $2
A line that starts with a dot:
.dot
From the body, a line that looks like an mbox separator.
" >>"$T/swaks.log" 2>&1
}

# Where a message with these subject tags must end up: "FOLDER FLAGGED".
lda_expected() {
	case $1 in
	*'[fwd]'*) echo "REDIRECT -" ;;
	*'[work]'*'[flag]'*) echo "Work F" ;;
	*'[work]'*) echo "Work -" ;;
	*'[lists]'*) echo "Lists.Sift -" ;;
	*'[flag]'*) echo "INBOX F" ;;
	*) echo "INBOX -" ;;
	esac
}

# lda_send_batch PORT PREFIX COUNT: COUNT messages (PREFIX-001 ...) spread
# over the folders and flags, one redirect and one with the null sender;
# appends "TOKEN FOLDER FLAGGED SENDER" lines to $T/expect.PREFIX.
lda_send_batch() {
	: >"$T/expect.$2"
	i=1
	while [ $i -le "$3" ]; do
		tok=$(printf '%s-%03d' "$2" $i)
		sender=$LDA_SENDER
		case $((i % 6)) in
		0) tags='[work]' ;;
		1) tags='[lists]' ;;
		2) tags='[flag]' ;;
		3) tags='[work] [flag]' ;;
		*) tags='' ;;
		esac
		[ $i = 5 ] && tags='[fwd]'
		[ $i = 10 ] && sender='<>'
		# a few SMTP sessions at a time, as real clients do
		(lda_send "$1" "$tok" "$tags" "$sender" || echo "$tok" >>"$T/send.failed") &
		lda_pids="$lda_pids $!"
		echo "$tok $(lda_expected "$tags") $sender" >>"$T/expect.$2"
		if [ $((i % 4)) = 0 ]; then
			wait $lda_pids
			lda_pids=
		fi
		i=$((i + 1))
	done
	# never a bare wait: it would wait for the MTA daemon too
	[ -z "$lda_pids" ] || wait $lda_pids
	lda_pids=
	if [ -s "$T/send.failed" ]; then
		not_ok "swaks could not send $(tr '\n' ' ' <"$T/send.failed")(see $T/swaks.log)"
		rm -f "$T/send.failed"
	fi
}

# lda_scan MAILDIR: one line "TOKEN PATH PROBLEMS" for every file under a
# new/, cur/ or tmp/ of any folder. TOKEN is from the Message-Id this suite
# gives its messages (<TOKEN@sift.test>; "?" when there is none);
# PROBLEMS, "-" for none, lists what is wrong with the stored bytes:
# From_line (an mbox separator left at the top), CR (CRLF line ends),
# body (the body lines lda_send wrote are not all there, unchanged). One
# awk for all files: the machine is shared, forks are dear.
lda_scan() {
	[ -d "$1" ] || return 0
	(cd "$1" && find . -type f \( -path '*/new/*' -o -path '*/cur/*' -o -path '*/tmp/*' \) -print0 |
		xargs -0 -r awk -v md="$1" '
		function flush() {
			if (file == "") return
			if (seen < 3) prob = prob ",body"
			print (tok == "" ? "?" : tok), md "/" substr(file, 3), (prob == "" ? "-" : substr(prob, 2))
		}
		FNR == 1 {
			flush(); file = FILENAME; tok = ""; prob = ""; seen = 0; hdr = 1
			if ($0 ~ /^From /) prob = ",From_line"
		}
		index($0, "\r") && prob !~ /CR/ { prob = prob ",CR" }
		hdr && $0 == "" { hdr = 0; next }
		hdr && tok == "" && tolower($0) ~ /^message-id:/ && match($0, /<[^@>]*@sift\.test>/) {
			tok = substr($0, RSTART + 1, RLENGTH - 12)
		}
		!hdr && ($0 == "token " tok || $0 == ".dot" ||
			$0 == "From the body, a line that looks like an mbox separator.") { seen++ }
		END { flush() }')
}

# lda_index MAILDIR: "TOKEN PATH" for every file (see lda_scan).
lda_index() {
	lda_scan "$1" | cut -d' ' -f1,2
}

# lda_check_batch PREFIX MAILDIR: every message of the batch is where it
# belongs, exactly once; nothing in tmp/; the redirect was recorded.
lda_check_batch() {
	exp=$T/expect.$1
	md=$2
	lda_scan "$md" | grep "^$1-" | sort >"$T/scan.$1"
	cut -d' ' -f1,2 "$T/scan.$1" >"$T/index.$1"
	n=$(wc -l <"$exp")
	# exactly once
	bad=$(awk 'NR==FNR { if ($2 != "REDIRECT") want[$1] = 1; next }
		{ have[$1]++ }
		END { for (t in want) if (have[t] != 1) printf "%s(%d) ", t, have[t];
		      for (t in have) if (!(t in want)) printf "%s(unexpected) ", t }' \
		"$exp" "$T/index.$1")
	check "$1: each of the $n messages stored exactly once (redirected one not stored)" \
		test -z "$bad"
	[ -z "$bad" ] || echo "   stored zero or several times: $bad"
	# folder and flags
	bad=$(awk -v md="$md" '
		NR==FNR { folder[$1] = $2; flag[$1] = $3; next }
		{
			t = $1; p = substr($0, length(t) + 2)
			rel = substr(p, length(md) + 2)
			dir = "/" rel; sub(/\/(new|cur|tmp)\/.*$/, "", dir)
			want = folder[t] == "INBOX" ? "" : "/." folder[t]
			if (dir != want) { printf "%s:in-%s ", t, rel; next }
			if (flag[t] == "F" && p !~ /\/cur\/[^\/]*:2,[A-Za-z]*F[A-Za-z]*$/) printf "%s:not-flagged(%s) ", t, rel
			if (flag[t] == "-" && p !~ /\/new\/[^\/:]*$/) printf "%s:not-in-new(%s) ", t, rel
		}' "$exp" "$T/index.$1")
	check "$1: each message in its folder (INBOX, .Work, .Lists.Sift); flagged ones in cur/ with :2,F, others in new/" \
		test -z "$bad"
	[ -z "$bad" ] || echo "   misplaced: $bad"
	tmpfiles=$(lda_scan "$md" | awk -v md="$md" 'substr($2, length(md) + 1) ~ /\/tmp\// { n++ } END { print n + 0 }')
	check "$1: nothing left in any tmp/ ($tmpfiles files)" test "$tmpfiles" = 0
	# the stored bytes: no mbox From_ line, LF line ends, body intact
	bad=$(awk '$3 != "-" { printf "%s:%s ", $1, $3 }' "$T/scan.$1")
	check "$1: stored messages have no From_ line, LF line ends, and the body as sent" test -z "$bad"
	[ -z "$bad" ] || echo "   bad content: $bad"
	lda_check_redirect "$1"
}

# The [fwd] message of a batch went to the sendmail stub once, to the
# script's address, with the original envelope sender and the
# X-Sieve-Redirected-From header naming the recipient.
lda_check_redirect() {
	tok=$(awk '$2 == "REDIRECT" { print $1 }' "$T/expect.$1")
	sender=$(awk '$2 == "REDIRECT" { print $4 }' "$T/expect.$1")
	msgs=$(grep -li "^Message-Id: <$tok@sift.test>" "$T"/outbox/*.msg 2>/dev/null)
	count=$(printf '%s' "$msgs" | grep -c .)
	check "$1: the redirect of $tok went through sendmail exactly once ($count)" test "$count" = 1
	[ "$count" = 1 ] || return 0
	args=${msgs%.msg}.args
	check "$1: sendmail got -f $sender and the recipient $LDA_FWD after -- ($(tr '\n' ' ' <"$args"))" \
		awk -v s="$sender" -v r="$LDA_FWD" '
			prev == "-f" && $0 == s { f = 1 }
			dd && $0 == r { rc = 1 }
			$0 == "--" { dd = 1 }
			{ prev = $0 }
			END { exit !(f && rc) }' "$args"
	check "$1: the redirected message has X-Sieve-Redirected-From naming $RCPT" \
		grep -qi "^X-Sieve-Redirected-From:.*$RCPT" "$msgs"
}

# lda_count_token TOKEN MAILDIR: how many files in the Maildir hold TOKEN.
lda_count_token() {
	lda_index "$2" | grep -c "^$1 "
}

# lda_disk_full: the recipient's Maildir moves aside; a small tmpfs takes
# its place and is filled up, so a delivery meets ENOSPC.
lda_disk_full() {
	md=$UHOME/Maildir
	if [ -d "$md" ]; then mv "$md" "$md.aside"; fi
	mkdir "$md"
	mount -t tmpfs -o size=256k,mode=0700,uid="$(id -u "$OWNER")",gid="$(id -g "$OWNER")" \
		sift-lda-full "$md" || hard_error "cannot mount a tmpfs on $md"
	lda_mounts="$md $lda_mounts"
	mkdir "$md/new" "$md/cur" "$md/tmp"
	chown "$OWNER:" "$md/new" "$md/cur" "$md/tmp"
	dd if=/dev/zero of="$md/filler" bs=4k 2>/dev/null
	avail=$(df -k --output=avail "$md" | tail -1 | tr -d ' ')
	check "disk full: the Maildir is on a full tmpfs (${avail} KiB free)" test "$avail" = 0
}

# lda_disk_free: make room on the full tmpfs.
lda_disk_free() {
	rm -f "$UHOME/Maildir/filler"
}

# lda_disk_restore: unmount the tmpfs, put the Maildir back.
lda_disk_restore() {
	md=$UHOME/Maildir
	umount "$md" || hard_error "cannot unmount $md"
	lda_mounts=$(echo "$lda_mounts" | sed "s|$md||")
	rmdir "$md"
	if [ -d "$md.aside" ]; then mv "$md.aside" "$md"; fi
}

# lda_snippet DOC NAME: the code block that follows "<!-- test: NAME -->" in
# DOC, with the paths and accounts an admin would have replaced by the
# test's (the only differences, listed here): /usr/bin/sieve-deliver,
# /etc/sift/sift.conf, /etc/postfix/, /var/vmail/, the system account
# alice of the examples ($LDA_ALICE) and the virtual mail owner vmail
# (sift-vmail).
lda_snippet() {
	awk -v name="$2" '
		$0 == "<!-- test: " name " -->" { want = 1; next }
		want && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }' "$docdir/$1" >"$T/snippet.raw"
	[ -s "$T/snippet.raw" ] || hard_error "no snippet '$2' in doc/$1"
	sed -e "s|/usr/bin/sieve-deliver|$LDA|g" -e "s|/etc/sift/sift.conf|$T/sift.conf|g" \
		-e "s|/etc/postfix/|${conf:-/etc/postfix}/|g" -e "s|/var/vmail/|$T/vmail/|g" \
		-e "s|user=vmail |user=sift-vmail |g" "$T/snippet.raw"
}
