#!/bin/bash
# metadata.sh: the mailbox, mboxmetadata and servermetadata extensions in
# a real delivery (RFC 5490): annotations from the user's file (the
# default metadata = file:~/.sift/metadata) and the server's
# (server-metadata =), a file that is not valid (a runtime error: the
# message is kept), one that cannot be read now (§5: exit 75, nothing
# filed), and fileinto :create under mailbox-autocreate = no.
#
#   user-file     /private annotation of INBOX from ~/.sift/metadata
#   server-file   /shared annotation from server-metadata
#   invalid       a bad line: the script stops, the message goes to INBOX
#   unreadable    a file the user may not read: 4.3.0, exit 75 (root only)
#   create        fileinto :create makes the folder with autocreate off
#   no-create     without :create the folder is not made: INBOX

. "${srcdir:-$(dirname "$0")/../..}/tests/deliver/lib.sh"

user_setup "sift-md$$"

msg=$T/msg
message "$msg" "metadata test" 300
server=$T/server-metadata
printf '# the server'"'"'s annotations\n/shared/vendor/sift/motd\tall well\n' >"$server"
chmod 644 "$server"

# user_metadata TEXT: the user's annotations file
user_metadata() {
	mkdir -p "$home/.sift"
	printf '%b' "$1" >"$home/.sift/metadata"
	own "$home/.sift"
}

begin user-file "an INBOX annotation from ~/.sift/metadata selects the folder"
reset_home
user_metadata 'INBOX\t/private/vendor/sift/route\tArchive\n'
set_script 'require ["mboxmetadata", "fileinto", "mailbox", "variables"];
if metadata :matches "INBOX" "/private/vendor/sift/route" "*" { fileinto :create "${1}"; }'
deliver <"$msg"
expect_rc 0
expect_delivered_once Archive "$msg"

begin server-file "a server annotation from server-metadata"
reset_home
set_script 'require ["servermetadata", "fileinto", "mailbox"];
if servermetadata :contains "/shared/vendor/sift/motd" "well" { fileinto :create "Server"; }'
deliver -o "server-metadata=file:$server" <"$msg"
expect_rc 0
expect_delivered_once Server "$msg"

begin invalid "an annotations file with a bad line: a runtime error, kept in INBOX"
reset_home
user_metadata 'INBOX\t/private/vendor/sift/route\n'
set_script 'require ["mboxmetadata", "fileinto", "mailbox"];
if metadataexists "INBOX" "/private/vendor/sift/route" { fileinto :create "Never"; }'
deliver <"$msg"
expect_rc 0
expect_delivered_once INBOX "$msg"

if [ $root = 1 ]; then
	begin unreadable "annotations the user cannot read now: retried later (RFC 5490 §5)"
	reset_home
	set_script 'require ["servermetadata", "fileinto", "mailbox"];
if servermetadataexists "/shared/vendor/sift/motd" { fileinto :create "Server"; }'
	chmod 600 "$server"
	deliver -o "server-metadata=file:$server" <"$msg"
	chmod 644 "$server"
	expect_rc 75
	expect_status "4.3.0"
	expect_nothing_visible
fi

begin create "fileinto :create makes the folder with mailbox-autocreate = no"
reset_home
set_script 'require ["fileinto", "mailbox"];
if not mailboxexists "Lists.Sift" { fileinto :create "Lists.Sift"; }'
deliver -o mailbox-autocreate=no <"$msg"
expect_rc 0
expect_delivered_once Lists.Sift "$msg"

begin no-create "without :create and with mailbox-autocreate = no: INBOX"
reset_home
set_script 'require "fileinto"; fileinto "Lists.Sift";'
deliver -o mailbox-autocreate=no <"$msg"
expect_rc 0
expect_delivered_once INBOX "$msg"

finish
