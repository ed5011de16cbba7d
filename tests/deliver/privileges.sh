#!/bin/bash
# privileges.sh: sieve-deliver started as root and as users (issue 7,
# "Tests that must exist"; DESIGN.md: drop to the recipient's uid before
# touching their files). Needs root: it creates two users.
#
#   owner            as root with -d USER, everything the user gets (the
#                    Maildir tree, folders made by fileinto and -m, the
#                    .svbin, ~/.sieve.log) belongs to the user and is not
#                    readable by others
#   no-user          as root without -d: 75, a message naming -d, nothing
#                    written anywhere
#   unknown-user     -d for a user that does not exist: 67, 5.1.1
#   root-user        -d root, and -d for another name of uid 0: refused
#   other-user       as user A with -d B: refused, nothing of B touched;
#                    as A with -d A: delivered (a pipe(8) user= transport)
#   escape           fileinto and -m with names that climb out of the
#                    Maildir: the message goes to INBOX, the error to
#                    ~/.sieve.log, and not one new file outside the Maildir

. "${srcdir:-$(dirname "$0")/../..}/tests/deliver/lib.sh"

[ $root = 1 ] || skip_all "needs root (creates users, runs sieve-deliver -d USER as root)"

user_setup "sift-p$$"
# the second user, for -d across users
user2=sift-q$$
home2=$T/home2
add_user "$user2" "$home2"
uid2=$(id -u "$user2")
gid2=$(id -g "$user2")
mkdir -p "$home2"
chown "$uid2:$gid2" "$home2"

# the users must reach the program: a copy when the build folder is closed
# to them
if ! setpriv --reuid="$uid" --regid="$gid" --clear-groups test -x "$prog" 2>/dev/null; then
	mkdir "$T/bin"
	cp "$prog" "$T/bin/sieve-deliver"
	chmod 755 "$T/bin" "$T/bin/sieve-deliver"
	prog=$T/bin/sieve-deliver
fi

msg=$T/msg
message "$msg" "privileges" 2000

# as_user UID GID [OPTION...] < MESSAGE: the program run by that user
as_user() {
	local u=$1 g=$2
	shift 2
	env HOME="$T/nohome" setpriv --reuid="$u" --regid="$g" --clear-groups \
		"$prog" -c "$conf" -o log=none "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# snapshot FILE: every path under the scratch folder and /root's mail,
# with owner and size, to compare before and after
snapshot() {
	{
		find "$T" \( -path "$T/snap.*" -o -path "$T/out" -o -path "$T/err" \) -prune -o -printf '%p %u:%g %s\n'
		ls -la /root/Maildir /root/.sieve.log 2>/dev/null
	} | sort >"$1"
}

# expect_unchanged BEFORE: nothing was added, removed or changed since
expect_unchanged() {
	snapshot "$T/snap.after"
	if cmp -s "$1" "$T/snap.after"; then
		ok "nothing written anywhere"
	else
		bad "files changed: $(diff "$1" "$T/snap.after" | grep '^[<>]' | head -5 | sed "s|$T/||g" | tr '\n' '|')"
	fi
}

# ---- owners ----

begin owner "as root with -d $user: every file and folder the user gets is the user's"
reset_home
set_script 'require ["fileinto", "imap4flags"];
if header :contains "subject" "privileges" { fileinto "Work.Projects"; }
fileinto :flags ["\\Seen", "$label1"] "Flagged";'
deliver <"$msg"
expect_rc 0
expect_quiet
expect_count "$(folder Work.Projects)/new" 1
expect_count "$(folder Flagged)/cur" 1
# a broken script: the log is written by the user too
set_script 'fileinto "x";'
deliver <"$msg"
expect_rc 0
expect_count "$(folder INBOX)/new" 1
check "~/.sieve.log written" test -s "$home/.sieve.log"
check "the .svbin written beside the script" test -s "$home/sieve/main.svbin"
foreign=$(find "$home" \( ! -uid "$uid" -o ! -gid "$gid" \) -printf '%P %u:%g\n')
if [ -z "$foreign" ]; then
	ok "all $(find "$home" | wc -l) paths under the home belong to $uid:$gid"
else
	bad "not the user's: $(echo "$foreign" | head -5 | tr '\n' '|')"
fi
# what sieve-deliver made (not the script and link the test made) is
# the user's alone
open=$(find "$home/Maildir" "$home/sieve/main.svbin" "$home/.sieve.log" -perm /o=rwx -printf '%P %m\n')
check "none of what it made is open to others${open:+: $open}" test -z "$open"

# ---- refusals ----

begin no-user "as root without -d -> 75, a 4.x.x line naming -d, nothing written"
reset_home
mkdir -p "$T/roothome"
snapshot "$T/snap.before"
HOME=$T/roothome "$prog" -c "$conf" -o log=none <"$msg" >"$T/out" 2>"$T/err"
rc=$?
expect_rc 75
expect_status "4."
check "the message says -d is required: $(status_line)" grep -q -- '-d' "$T/err"
expect_unchanged "$T/snap.before"

begin unknown-user "-d for a user that does not exist -> 67, 5.1.1"
snapshot "$T/snap.before"
HOME=$T/roothome "$prog" -d "sift-none$$" -c "$conf" -o log=none <"$msg" >"$T/out" 2>"$T/err"
rc=$?
expect_rc 67
expect_status "5.1.1"
expect_unchanged "$T/snap.before"

begin root-user "-d root, and -d for another account with uid 0 -> refused (75, 4.x.x), nothing written"
snapshot "$T/snap.before"
HOME=$T/roothome "$prog" -d root -c "$conf" -o log=none <"$msg" >"$T/out" 2>"$T/err"
rc=$?
expect_rc 75
expect_status "4."
expect_unchanged "$T/snap.before"
zero=sift-z$$
if useradd -M -o -u 0 -g 0 -d "$T/zhome" -s /usr/sbin/nologin -c "sift test user" "$zero" 2>"$T/useradd.err"; then
	created_users+=("$zero")
	mkdir -p "$T/zhome"
	snapshot "$T/snap.before"
	HOME=$T/roothome "$prog" -d "$zero" -c "$conf" -o log=none <"$msg" >"$T/out" 2>"$T/err"
	rc=$?
	echo "   -- -d $zero (uid 0):"
	expect_rc 75
	expect_status "4."
	expect_unchanged "$T/snap.before"
	userdel -f "$zero" 2>/dev/null && created_users=("${created_users[@]/$zero/}")
else
	echo "   SKIP cannot add a second uid-0 account: $(cat "$T/useradd.err")"
fi

begin other-user "as $user with -d $user2 -> refused (75, 4.x.x), nothing of $user2 touched; -d $user as $user delivers"
reset_home
snapshot "$T/snap.before"
as_user "$uid" "$gid" -d "$user2" <"$msg"
expect_rc 75
expect_status "4."
expect_unchanged "$T/snap.before"
as_user "$uid" "$gid" -d "$user" <"$msg"
expect_rc 0
expect_delivered_once INBOX "$msg"
check "$user2's home is still empty" test -z "$(ls -A "$home2")"

# ---- names that escape ----

# escape NAME HOW: deliver with that folder name (fileinto, or -m under a
# script that keeps); the message must land in INBOX, the error in
# ~/.sieve.log, and nothing appear outside the Maildir
escape() {
	local name=$1 how=$2 script='keep;'
	begin "escape" "$how \"$name\" -> INBOX, error logged, nothing outside Maildir/"
	reset_home
	mkdir -p "$home/Maildir/cur" "$home/Maildir/new" "$home/Maildir/tmp"
	if [ "$how" = fileinto ]; then
		script=$(printf 'require ["fileinto", "encoded-character"];\nfileinto "%s";' "$name")
	fi
	set_script "$script"
	own "$home"
	# compile it now, so that only the delivery's own files are new
	deliver </dev/null
	rm -rf "$home/Maildir" "$home/.sieve.log"
	mkdir -p "$home/Maildir/cur" "$home/Maildir/new" "$home/Maildir/tmp"
	own "$home"
	find "$T" -path "$T/snap.*" -prune -o -print | sort >"$T/snap.before"
	if [ "$how" = fileinto ]; then
		deliver <"$msg"
	else
		deliver -m "$name" <"$msg"
	fi
	expect_rc 0
	expect_delivered_once INBOX "$msg"
	find "$T" -path "$T/snap.*" -prune -o -print | sort >"$T/snap.after"
	new=$(comm -13 "$T/snap.before" "$T/snap.after" | grep -v "^$home/Maildir/new/[^/]*$" |
		grep -v -e "^$home/.sieve.log$" -e "^$T/out$" -e "^$T/err$" | sed "s|$T/||")
	check "no new file or folder but the message and the log${new:+: $(echo "$new" | tr '\n' ' ')}" test -z "$new"
	check "the error is in ~/.sieve.log" test -s "$home/.sieve.log"
}

# climbing out, absolute, hidden, a control character, invalid UTF-8
for name in '../../etc' '..' '../x' 'A/../../x' '/etc' '.hidden' '.' 'A${hex:0a}B' 'A${hex:ff}B'; do
	escape "$name" fileinto
done
for name in '../../etc' '..' '/tmp' '.hidden' 'A/../../x'; do
	escape "$name" -m
done

finish
