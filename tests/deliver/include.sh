#!/bin/bash
# include.sh: sieve-deliver with include (RFC 6609): the resolver of a
# real delivery.
#
#   personal-global  the user's script includes a personal script (from
#                    sieve-dir) and a global one (from sieve-global); a
#                    global variable carries the folder between them: the
#                    message is filed once; the personal scripts' .svbin
#                    files are written beside them, the global folder
#                    (read-only here) gets nothing
#   cycle            a personal script that includes the active script
#                    again (§3.2): a runtime error; the script's actions
#                    are discarded, the message is kept in INBOX, and the
#                    user's log says why
#   escape           include "../escape": refused when the script is
#                    compiled (a name, never a path); the script is not
#                    run, the message is kept, the script outside the
#                    folder never runs, and the log says why
#   unreadable       the included script cannot be read now (EIO on its
#                    open, faultfs.c): a passing failure, so the delivery
#                    is deferred (75) and nothing is filed; the next try
#                    files the message

. "${srcdir:-$(dirname "$0")/../..}/tests/deliver/lib.sh"

user_setup "sift-i$$"

msg=$T/msg
message "$msg" "include test" 300

global=$T/global
mkdir -p "$global"
printf 'sieve-global = %s\n' "$global" >>"$conf"

# personal NAME TEXT: a script in the user's sieve folder
personal() {
	mkdir -p "$home/sieve"
	printf '%s\n' "$2" >"$home/sieve/$1.sieve"
	own "$home/sieve"
}

begin personal-global "a personal and a global script included, one filing"
reset_home
printf '%s\n' 'require ["include", "variables", "fileinto"];
global "box";
fileinto "${box}";' >"$global/site.sieve"
chmod 555 "$global"
personal lib 'require ["include", "variables"];
global "box";
set "box" "Lists";'
set_script 'require ["include", "variables"];
global "box";
include "lib";
include :global "site";'
deliver <"$msg"
expect_rc 0
expect_quiet
expect_delivered_once Lists "$msg"
check "the included personal script's binary was written" test -s "$home/sieve/lib.svbin"
check "the active script's binary was written" test -s "$home/sieve/main.svbin"
n=$(find "$global" -name '*.svbin' | wc -l)
check "nothing written into the global folder" test "$n" -eq 0
# a second delivery takes the personal binaries from the cache
touch -d '2000-01-01' "$home/sieve/lib.sieve"
before=$(stat -c %Y "$home/sieve/lib.svbin")
reset_maildir() { rm -rf "$home/Maildir"; }
reset_maildir
deliver <"$msg"
expect_rc 0
expect_delivered_once Lists "$msg"
check "the cached binary was used, not rewritten" test "$(stat -c %Y "$home/sieve/lib.svbin")" -eq "$before"
chmod 755 "$global"

begin cycle "a script that includes the active script again"
reset_home
personal again 'require "include";
include "main";'
set_script 'require ["include", "fileinto"];
fileinto "Never";
include "again";'
deliver <"$msg"
expect_rc 0
expect_delivered_once INBOX "$msg"
check "the user's log names the cycle" grep -q "cycle" "$home/.sieve.log"
check "the user's log says the message was kept" grep -q "kept" "$home/.sieve.log"

begin escape "include \"../escape\" is refused"
reset_home
printf '%s\n' 'require "fileinto";
fileinto "Escaped";' >"$home/escape.sieve"
own "$home/escape.sieve"
set_script 'require "include";
include "../escape";'
deliver <"$msg"
expect_rc 0
expect_delivered_once INBOX "$msg"
check "the user's log says why" grep -q "cannot contain '/'" "$home/.sieve.log"

begin unreadable "an included script that cannot be read now defers the delivery"
reset_home
build_shim
personal lib 'require "fileinto";
fileinto "Lib";'
set_script 'require "include";
include "lib";'
with_fault FAULT_OP=open FAULT_PATH='*/sieve/lib.s*' FAULT_ERRNO=EIO FAULT_COUNT=0
deliver <"$msg"
no_fault
expect_rc 75
expect_fault_hit "open .*lib"
expect_nothing_visible
deliver <"$msg"
expect_rc 0
expect_delivered_once Lib "$msg"

finish
