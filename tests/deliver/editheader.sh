#!/bin/bash
# editheader.sh: what sieve-deliver files when a script edits the header
# (RFC 5293; DESIGN.md §4, §5): each fileinto files the message version
# current when it was recorded, the implicit keep the final one, byte for
# byte (the fields kept exactly as written, the body untouched, added
# fields in the message's own line ends), and two versions never share
# one Maildir file while two copies of one version may.
#
#   lf     a message with LF line ends
#   crlf   the same with CRLF line ends, which sieve-deliver files with LF
#          (sv_lda_normalize) before any script sees it: the versions are
#          made from that

. "${srcdir:-$(dirname "$0")/../..}/tests/deliver/lib.sh"

user_setup "sift-e$$"

script='require ["editheader", "fileinto", "copy"];
fileinto :copy "Before";
fileinto :copy "Before2";
addheader "X-Edit" "one";
fileinto :copy "After";
deleteheader "X-Drop";
addheader :last "X-Edit" "two";'

# expect_bytes MAILBOX FILE: the one message in MAILBOX is FILE byte for byte
expect_bytes() {
	local m
	m=$(only_message "$1")
	if [ -z "$m" ]; then
		bad "nothing in $1/new"
	elif cmp -s "$m" "$2"; then
		ok "$1 holds its version byte for byte"
	else
		bad "$1 differs: $(diff "$2" "$m" | head -n 8 | tr '\n' '|')"
	fi
}

inode() { stat -c %i "$(only_message "$1")"; }

run_case() {
	local name=$1 eol=$2
	begin "$name" "each copy files its version; the implicit keep the final one"
	reset_home
	set_script "$script"
	local msg=$T/msg-$name
	local orig='Return-Path: <sender@example.org>\nFrom: sender@example.org\nTo: user@example.net\nX-Drop: spam\nSubject: edited\n\nbody line\n\n.last\n'
	printf "${orig//\\n/$eol}" >"$msg"
	# version 0, as filed
	printf "$orig" >"$T/v0-$name"
	# version 1: X-Edit: one at the start
	printf "X-Edit: one\\n$orig" >"$T/v1-$name"
	# version 3: X-Drop gone, X-Edit: two at the end of the header
	printf 'X-Edit: one\nReturn-Path: <sender@example.org>\nFrom: sender@example.org\nTo: user@example.net\nSubject: edited\nX-Edit: two\n\nbody line\n\n.last\n' >"$T/v3-$name"
	deliver <"$msg"
	expect_rc 0
	expect_bytes Before "$T/v0-$name"
	expect_bytes Before2 "$T/v0-$name"
	expect_bytes After "$T/v1-$name"
	expect_bytes INBOX "$T/v3-$name"
	check "four messages in all" test "$(maildir_files new cur | wc -l)" -eq 4
	check "the After copy has a file of its own" test "$(inode After)" != "$(inode Before)"
	check "the implicit keep has a file of its own" test "$(inode INBOX)" != "$(inode After)"
	expect_tmp_empty
}

run_case lf $'\n'
run_case crlf $'\r\n'

# lines at the start that continue no field are the message's too: an
# edited copy keeps them, ahead of every field (none becomes part of one)
begin stray "an edited copy keeps the lines that continue no field"
reset_home
set_script 'require "editheader";
addheader "X-Edit" "one";'
printf ' stray\n\tmore\nSubject: s\n\nbody\n' >"$T/msg-stray"
printf ' stray\n\tmore\nX-Edit: one\nSubject: s\n\nbody\n' >"$T/want-stray"
deliver <"$T/msg-stray"
expect_rc 0
expect_bytes INBOX "$T/want-stray"
expect_tmp_empty

finish
