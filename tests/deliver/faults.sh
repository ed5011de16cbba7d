#!/bin/bash
# faults.sh: sieve-deliver under faults (issue 7, "Tests that must exist").
# Every fault ends as documented (../shared/notes/lda.md): a transient one
# exits 75 with a "4.x.x" line so the MTA retries, and leaves no message
# visible in new/ or cur/ and nothing in tmp/, so the retry delivers
# exactly once; a broken script, a broken binary or a broken message is
# never a delivery failure: the message is kept.
#
#   disk-full        the Maildir on a full tmpfs (root only)
#   cross-fs         a folder on another file system gets its own copy
#                    (root only)
#   fsync-eio        EIO on the fsync of the message (faultfs.c shim)
#   dirsync-eio      EIO on the fsync of new/ after the rename
#   rename-fails     the link (or rename) into new/ fails
#   write-enospc     ENOSPC on the writes of the message
#   stage-write-*    ENOSPC once, on the write made while the script runs:
#                    the store writes the message again, delivered
#   second-store     fileinto A and B: B's folder cannot be made after A
#                    was prepared, the fsync of the message (one file
#                    shared by both) fails, or B's link into new/ fails
#                    after A's
#   unwritable       fileinto a folder mode 000, or with new/ mode 500:
#                    INBOX, logged
#   mbox-*           ENOSPC, EIO on fsync, a second mbox failing: the mbox
#                    files truncated back to what they were, unlocked
#   sigkill-read     kill -9 while the message still arrives
#   sigkill-write    kill -9 in the middle of writing into tmp/
#   corrupt-svbin    garbage, truncated or foreign .svbin newer than the
#                    script: the script still runs, the cache is rewritten
#   svbin-*          the .svbin cannot be written (ENOSPC, rename fails,
#                    read-only folder): the script runs from memory
#   budget           max-instructions exhausted: kept, logged, the
#                    script's earlier fileinto undone
#   compile-error    kept, file:line:col in ~/.sieve.log
#   malformed        odd messages stored byte for byte (CRLF -> LF)
#   missing-home     75, 4.2.0, nothing created
#   oversize         77, 5.3.4, the input read to the end
#
# The shim is built from faultfs.c with $CC (or cc) into the scratch
# folder. Run as root to get the tmpfs case; everything else runs as any
# user.

. "${srcdir:-$(dirname "$0")/../..}/tests/deliver/lib.sh"

user_setup "sift-f$$"

build_shim

msg=$T/msg
message "$msg" "fault test" 3000

# transient CASE WHAT VAR=VALUE...: a shim fault on the plain INBOX
# delivery, then the retry without it
transient() {
	local name=$1 what=$2 hitpat=$3
	shift 3
	begin "$name" "$what -> 75 with a 4.x.x line, nothing visible; the retry delivers once"
	reset_home
	with_fault "$@"
	deliver <"$msg"
	expect_fault_hit "$hitpat"
	expect_rc 75
	expect_status "4."
	expect_nothing_visible
	no_fault
	deliver <"$msg"
	expect_rc 0
	expect_quiet
	expect_delivered_once INBOX "$msg"
	expect_tmp_empty
}

# ---- disk full ----

begin disk-full "the Maildir on a full tmpfs -> 75, nothing in new/cur/tmp; space freed -> delivered once"
if [ $root = 1 ]; then
	reset_home
	mkdir "$home/Maildir"
	if mount -t tmpfs -o size=256k,mode=0700 sift-test "$home/Maildir" 2>"$T/mount.err"; then
		mounts+=("$home/Maildir")
		mkdir "$home/Maildir/cur" "$home/Maildir/new" "$home/Maildir/tmp"
		own "$home/Maildir"
		# fill it to the last block
		dd if=/dev/zero of="$home/Maildir/filler" bs=4k 2>/dev/null
		own "$home/Maildir/filler"
		big=$T/msg-64k
		message "$big" "disk full" 65536
		deliver <"$big"
		expect_rc 75
		expect_status "4."
		expect_nothing_visible
		rm -f "$home/Maildir/filler"
		deliver <"$big"
		expect_rc 0
		expect_delivered_once INBOX "$big"
		expect_tmp_empty
		umount "$home/Maildir" && mounts=()
	else
		bad "cannot mount a tmpfs as root: $(cat "$T/mount.err")"
	fi
else
	echo "   SKIP needs root to mount a tmpfs (the injected ENOSPC below still runs)"
fi

# ---- a folder on another file system ----

# The message is written once and linked into each folder; a folder that
# is a symbolic link onto another file system cannot take a link and gets
# a copy of its own instead.
begin cross-fs "fileinto A and keep, .A a symlink onto a tmpfs -> a copy in each, exit 0"
if [ $root = 1 ]; then
	reset_home
	other=$T/other-fs
	mkdir -p "$other" "$home/Maildir/cur" "$home/Maildir/new" "$home/Maildir/tmp"
	if mount -t tmpfs -o size=1m,mode=0700 sift-test-2 "$other" 2>"$T/mount.err"; then
		mounts+=("$other")
		mkdir "$other/cur" "$other/new" "$other/tmp"
		: >"$other/maildirfolder"
		ln -s "$other" "$home/Maildir/.A"
		own "$home/Maildir"
		own "$other"
		set_script 'require "fileinto";
fileinto "A"; keep;'
		deliver <"$msg"
		expect_rc 0
		expect_quiet
		a=$(find "$other/new" -type f | head -n 1)
		i=$(only_message INBOX)
		check "a copy in A, byte for byte" cmp -s "$a" "$msg"
		check "a copy in INBOX, byte for byte" cmp -s "$i" "$msg"
		check "A's copy is a file of its own (one link)" test "$(stat -c %h "$a")" -eq 1
		expect_tmp_empty
		n=$(find "$other/tmp" -type f | wc -l)
		check "nothing in A's tmp/ ($n)" test "$n" -eq 0
		umount "$other" && mounts=()
	else
		bad "cannot mount a tmpfs as root: $(cat "$T/mount.err")"
	fi
else
	echo "   SKIP needs root to mount a tmpfs"
fi

# ---- injected faults on the plain delivery ----

transient fsync-eio "EIO on the fsync of the message in tmp/" "fault fsync .*/Maildir/tmp/" \
	FAULT_OP=fsync FAULT_PATH='*/Maildir/tmp/*' FAULT_ERRNO=EIO
transient dirsync-eio "EIO on the fsync of new/ after the rename" "fault fsync .*/Maildir/new" \
	FAULT_OP=fsync FAULT_PATH='*/Maildir/new' FAULT_ERRNO=EIO
transient rename-fails "the link (or rename) from tmp/ into new/ fails (EIO)" "fault [a-z]* .*/Maildir/new/" \
	FAULT_OP=rename FAULT_PATH='*/Maildir/new/*' FAULT_ERRNO=EIO
transient write-enospc "ENOSPC on every write of the message" "fault write .*/Maildir/tmp/.* ENOSPC" \
	FAULT_OP=write FAULT_PATH='*/Maildir/tmp/*' FAULT_ERRNO=ENOSPC FAULT_COUNT=0
# writes of at most 1 KiB, so the 4 KiB message takes several
transient write-enospc-later "ENOSPC from the third write on, after 2 KiB of the message" \
	"fault write .*/Maildir/tmp/.* ENOSPC" \
	FAULT_OP=write FAULT_PATH='*/Maildir/tmp/*' FAULT_ERRNO=ENOSPC FAULT_NTH=3 FAULT_COUNT=0 \
	FAULT_SHORT=1024

# The message is first written while the script runs (the store's stage);
# a write failing then is not the end: the store writes it again when the
# script has decided, and only that failing is a failure.
begin stage-write-enospc "ENOSPC once, on the write made while the script runs -> written again, delivered once, exit 0"
reset_home
with_fault FAULT_OP=write FAULT_PATH='*/Maildir/tmp/*' FAULT_ERRNO=ENOSPC
deliver <"$msg"
expect_fault_hit "fault write .*/Maildir/tmp/.* ENOSPC"
expect_rc 0
expect_quiet
expect_delivered_once INBOX "$msg"
expect_tmp_empty
no_fault

# ---- a second store failing after the first ----

two_stores='require "fileinto";
fileinto "A";
fileinto "B";'

second_store() {
	local name=$1 what=$2 hitpat=$3
	shift 3
	begin "$name" "fileinto A and B, $what -> 75, nothing in A, B or INBOX; the retry files once into each"
	reset_home
	set_script "$two_stores"
	with_fault "$@"
	deliver <"$msg"
	expect_fault_hit "$hitpat"
	expect_rc 75
	expect_status "4."
	expect_nothing_visible
	no_fault
	deliver <"$msg"
	expect_rc 0
	expect_quiet
	expect_count "$(folder A)/new" 1
	expect_count "$(folder B)/new" 1
	expect_count "$(folder INBOX)/new" 0
	check "the copies in A and B are the message" cmp -s "$(only_message A)" "$msg"
	check "... both of them" cmp -s "$(only_message B)" "$msg"
	expect_tmp_empty
}

second_store second-store-prepare "folder B cannot be made (EIO; A prepared)" \
	"/Maildir/\.B/" FAULT_OP=mkdir FAULT_PATH='*/Maildir/.B/tmp' FAULT_ERRNO=EIO
second_store second-store-flush "the fsync of the message fails (both stores prepared)" \
	"fault fsync .*/Maildir/.*tmp/" FAULT_OP=fsync FAULT_PATH='*/Maildir/*tmp/*' FAULT_ERRNO=EIO
second_store second-store-commit "the 2nd link into new/ fails (the 1st store committed)" \
	"/Maildir/\.[AB]/" FAULT_OP=rename FAULT_PATH='*/Maildir/.*/new/*' FAULT_NTH=2 FAULT_ERRNO=EIO

# ---- an unwritable folder ----

# unwritable CASE WHAT MODE PATH: fileinto "A" where the user cannot
# write; the message goes to INBOX and the reason to ~/.sieve.log
unwritable() {
	local name=$1 what=$2 mode=$3 path=$4
	begin "$name" "fileinto a folder $what -> INBOX, exit 0, logged"
	reset_home
	set_script 'require "fileinto";
fileinto "A";'
	mkdir -p "$home/Maildir/.A/cur" "$home/Maildir/.A/new" "$home/Maildir/.A/tmp" \
		"$home/Maildir/cur" "$home/Maildir/new" "$home/Maildir/tmp"
	: >"$home/Maildir/.A/maildirfolder"
	own "$home/Maildir"
	chmod "$mode" "$path"
	deliver <"$msg"
	chmod -R u+rwx "$home/Maildir/.A"
	expect_rc 0
	expect_delivered_once INBOX "$msg"
	expect_tmp_empty
	if grep -q "'A'" "$home/.sieve.log" 2>/dev/null; then
		ok "~/.sieve.log says why: $(head -n 1 "$home/.sieve.log" | cut -c1-160)"
	else
		bad "no error about folder A in ~/.sieve.log ($(head -3 "$home/.sieve.log" 2>&1 | tr '\n' '|'))"
	fi
}
unwritable unwritable "the user cannot enter (.A mode 000)" 000 "$home/Maildir/.A"
unwritable unwritable-new "whose new/ the user cannot write (.A/new mode 500)" 500 "$home/Maildir/.A/new"

# ---- SIGKILL ----

program_args() {
	args=()
	[ $root = 1 ] && args=(-d "$user")
	args+=(-c "$conf" -o log=none)
}

begin sigkill-read "kill -9 while a 2 MiB message is still arriving through a pipe -> nothing in new/cur; the retry delivers once"
reset_home
big=$T/msg-2m
message "$big" "killed while reading" $((2 * 1024 * 1024))
program_args
mkfifo "$T/fifo"
env HOME="$home" "$prog" "${args[@]}" <"$T/fifo" >"$T/out" 2>"$T/err" &
pid=$!
bg_pids+=("$pid")
exec 3>"$T/fifo"
head -c 100000 "$big" >&3
sleep 0.3
check "still running, waiting for the rest of the message" kill -0 "$pid"
kill -9 "$pid"
{ wait "$pid"; } 2>/dev/null
rc=$?
exec 3>&-
rm -f "$T/fifo"
check "killed by SIGKILL (status $rc)" test "$rc" -eq 137
expect_nothing_visible
deliver <"$big"
expect_rc 0
expect_delivered_once INBOX "$big"
expect_tmp_empty

begin sigkill-write "kill -9 in the middle of writing the message into tmp/ -> nothing in new/cur; the retry delivers once"
reset_home
program_args
# every write into tmp/ slowed to 4 KiB per 20 ms: 2 MiB take 10 s
env HOME="$home" LD_PRELOAD="$shim" FAULT_LOG="$faultlog" FAULT_OP=write FAULT_PATH='*/Maildir/tmp/*' \
	FAULT_ERRNO=none FAULT_DELAY_MS=20 FAULT_SHORT=4096 "$prog" "${args[@]}" <"$big" >"$T/out" 2>"$T/err" &
pid=$!
bg_pids+=("$pid")
: >"$faultlog"
chmod 666 "$faultlog"
# the file being written: an unnamed one (O_TMPFILE) the process holds
# open, or a named one in tmp/ where the system has no unnamed files
caught=
tmp_partial() {
	local fd target
	for fd in /proc/"$pid"/fd/*; do
		target=$(readlink "$fd" 2>/dev/null) || continue
		case $target in
		"$home/Maildir/tmp/"*)
			if [ "$(stat -L -c %s "$fd" 2>/dev/null || echo 0)" -gt 8192 ]; then
				caught=$target
				return 0
			fi ;;
		esac
	done
	return 1
}
if wait_for tmp_partial; then
	ok "caught writing: $caught"
else
	bad "never saw the message being written into tmp/"
fi
kill -9 "$pid" 2>/dev/null
{ wait "$pid"; } 2>/dev/null
rc=$?
check "killed by SIGKILL (status $rc)" test "$rc" -eq 137
n=$(maildir_files new cur | wc -l)
check "nothing in new/ or cur/ ($n)" test "$n" -eq 0
case $caught in
*" (deleted)")
	# an unnamed file goes with the process that wrote it
	n=$(find "$home/Maildir/tmp" -type f | wc -l)
	check "nothing left in tmp/ ($n)" test "$n" -eq 0 ;;
*)
	# a named partial file stays in tmp/: nobody is left to remove it,
	# and Maildir readers never look there (they clean tmp/ after 36 hours)
	;;
esac
deliver <"$big"
expect_rc 0
n=$(maildir_files new cur | wc -l)
m=$(only_message INBOX)
if [ "$n" -eq 1 ] && [ -n "$m" ] && cmp -s "$m" "$big"; then
	ok "the retry delivered once, whole"
else
	bad "after the retry: $n messages in new/ and cur/ (want 1, byte for byte the 2 MiB message)"
fi

# ---- mbox ----

# An mbox is appended to in place: a failure must leave it byte for byte
# as it was (truncated back) and unlocked.
mbox=$home/inbox.mbox
mloc="mail-location=mbox:$home/mail:INBOX=$mbox"
reset_home
deliver -f sender@example.org -o "$mloc" <"$msg"
if [ "$rc" -ne 0 ] || [ ! -f "$mbox" ]; then
	echo
	echo "== mbox: SKIP this sieve-deliver has no mbox store (trial delivery: exit $rc: $(head -n 1 "$T/err"))"
	mbox=
fi

# mbox_has N: the mbox holds N messages and ends with $msg2 and a blank line
mbox_has() {
	local n
	n=$(grep -c '^From ' "$1")
	[ "$n" -eq "$2" ] && tail -c $(($(wc -c <"$msg2") + 1)) "$1" | head -c -1 | cmp -s - "$msg2"
}

mbox_fault() {
	local name=$1 what=$2
	shift 2
	begin "$name" "$what -> 75, the mbox as it was and unlocked; the retry appends once"
	reset_home
	deliver -f sender@example.org -o "$mloc" <"$msg"
	cp "$mbox" "$T/mbox.before"
	with_fault "$@"
	deliver -f sender@example.org -o "$mloc" <"$msg2"
	expect_fault_hit "inbox.mbox"
	no_fault
	expect_rc 75
	expect_status "4."
	check "the mbox is byte for byte what it was" cmp -s "$mbox" "$T/mbox.before"
	check "no lock file left" test ! -e "$mbox.lock"
	deliver -f sender@example.org -o "$mloc" <"$msg2"
	expect_rc 0
	check "the retry appended the message once (2 messages, the old one intact)" \
		eval 'mbox_has "$mbox" 2 && head -c $(wc -c <"$T/mbox.before") "$mbox" | cmp -s - "$T/mbox.before"'
}

msg2=$T/msg2
message "$msg2" "second fault test" 5000
if [ -n "$mbox" ]; then
	mbox_fault mbox-enospc "ENOSPC on the third write, 2 KiB into the append" \
		FAULT_OP=write FAULT_PATH='*/inbox.mbox' FAULT_ERRNO=ENOSPC FAULT_NTH=3 FAULT_SHORT=1024
	mbox_fault mbox-fsync "EIO on the fsync of the appended mbox" \
		FAULT_OP=fsync FAULT_PATH='*/inbox.mbox' FAULT_ERRNO=EIO

	begin mbox-second-store "fileinto A and B (mbox files), the 2nd fsync fails -> 75, A as it was"
	reset_home
	set_script "$two_stores"
	deliver -f sender@example.org -o "$mloc" <"$msg"
	cp "$home/mail/A" "$T/A.before"
	cp "$home/mail/B" "$T/B.before"
	with_fault FAULT_OP=fsync FAULT_PATH="$home/mail/[AB]" FAULT_NTH=2 FAULT_ERRNO=EIO
	deliver -f sender@example.org -o "$mloc" <"$msg2"
	expect_fault_hit "/mail/[AB]"
	no_fault
	expect_rc 75
	expect_status "4."
	check "A is byte for byte what it was" cmp -s "$home/mail/A" "$T/A.before"
	check "B is byte for byte what it was" cmp -s "$home/mail/B" "$T/B.before"
	check "INBOX got nothing" test ! -s "$mbox"
	check "no lock file left" test -z "$(find "$home" -name '*.lock')"
	deliver -f sender@example.org -o "$mloc" <"$msg2"
	expect_rc 0
	check "the retry appended once to A" mbox_has "$home/mail/A" 2
	check "... and once to B" mbox_has "$home/mail/B" 2
fi

# ---- the compiled script ----

svbin_case() {
	local name=$1 what=$2
	begin "$name" "$what, newer than the script -> the script still runs (fileinto A) and the .svbin is rewritten valid"
	reset_home
	set_script 'require "fileinto";
fileinto "A";'
	touch -d '2020-01-01 00:00' "$home/sieve/main.sieve"
	"$3" "$home/sieve/main.svbin"
	own "$home/sieve"
	cp "$home/sieve/main.svbin" "$T/bad.svbin"
	deliver <"$msg"
	expect_rc 0
	expect_quiet
	expect_delivered_once A "$msg"
	if cmp -s "$home/sieve/main.svbin" "$T/bad.svbin"; then
		bad "the .svbin was not rewritten"
	elif svbin_valid "$home/sieve/main.svbin"; then
		ok "the .svbin was rewritten and loads${dump:+ (sieve-dump)}"
	else
		bad "the rewritten .svbin does not load"
	fi
	check "no error logged for a cache problem" test ! -s "$home/.sieve.log"
	# and the next delivery uses it
	deliver <"$msg"
	expect_rc 0
	expect_count "$(folder A)/new" 2
}

garbage_svbin() {
	head -c 300 /dev/urandom >"$1"
}
truncated_svbin() {
	# a real binary of this very script, cut in half
	deliver </dev/null >/dev/null
	rm -rf "$home/Maildir"
	local size
	size=$(wc -c <"$1")
	head -c $((size / 2)) "$1" >"$1.new" && mv "$1.new" "$1"
	touch -d '+1 hour' "$1"
}
foreign_svbin() {
	# a valid binary of another script (fileinto "B"), newer than ours
	printf 'require "fileinto";\nfileinto "B";\n' >"$T/other.sieve"
	if [ -x "$builddir/sievec" ]; then
		"$builddir/sievec" "$T/other.sieve" "$1" >/dev/null 2>&1
	else
		garbage_svbin "$1"
	fi
	touch -d '+1 hour' "$1"
}
svbin_case corrupt-svbin "300 random bytes as the .svbin" garbage_svbin
svbin_case truncated-svbin "the script's own .svbin cut in half" truncated_svbin
svbin_case foreign-svbin "a valid .svbin of another script (fileinto \"B\")" foreign_svbin

# cache_write_fails CASE WHAT VAR=VALUE...: the .svbin cannot be written;
# the script still runs from memory and the delivery succeeds
cache_write_fails() {
	local name=$1 what=$2
	shift 2
	begin "$name" "$what -> the script runs anyway (fileinto A), exit 0, no temporary file left"
	reset_home
	set_script 'require "fileinto";
fileinto "A";'
	with_fault "$@"
	deliver <"$msg"
	expect_fault_hit "/sieve/"
	no_fault
	expect_rc 0
	expect_quiet
	expect_delivered_once A "$msg"
	local left
	left=$(find "$home/sieve" -type f ! -name main.sieve ! -name main.svbin -printf '%f ')
	check "nothing left beside the script${left:+: $left}" test -z "$left"
	if [ -e "$home/sieve/main.svbin" ]; then
		check "a .svbin that is there is valid" svbin_valid "$home/sieve/main.svbin"
	fi
}
cache_write_fails svbin-enospc "ENOSPC on every write of the .svbin" \
	FAULT_OP=write FAULT_PATH='*/sieve/*' FAULT_ERRNO=ENOSPC FAULT_COUNT=0
cache_write_fails svbin-rename "the rename of the new .svbin into place fails" \
	FAULT_OP=rename FAULT_PATH='*/sieve/*' FAULT_ERRNO=EIO FAULT_COUNT=0

begin svbin-readonly "the script's folder is read-only to the user -> the script runs from memory, exit 0"
reset_home
set_script 'require "fileinto";
fileinto "A";'
chmod 555 "$home/sieve"
deliver <"$msg"
chmod 755 "$home/sieve"
expect_rc 0
expect_quiet
expect_delivered_once A "$msg"
check "no .svbin could be written" test ! -e "$home/sieve/main.svbin"

# ---- scripts that fail ----

begin budget "a script that runs out of max-instructions -> kept in INBOX, exit 0, the error in ~/.sieve.log, its fileinto undone"
reset_home
{
	echo 'require "fileinto";'
	echo 'fileinto "Early";'
	for i in $(seq 1 300); do
		echo "if header :is \"X-Test-$i\" \"v\" { fileinto \"Z\"; }"
	done
} >"$T/long.sieve"
set_script "$(cat "$T/long.sieve")"
deliver -o max-instructions=100 <"$msg"
expect_rc 0
expect_quiet
expect_delivered_once INBOX "$msg"
check "nothing filed into Early" test ! -d "$(folder Early)/new" -o "$(nfiles "$(folder Early)/new")" -eq 0
if grep -q 'instructions' "$home/.sieve.log" 2>/dev/null; then
	ok "~/.sieve.log: $(grep -m1 instructions "$home/.sieve.log" | cut -c1-160)"
else
	bad "no budget error in ~/.sieve.log ($(head -3 "$home/.sieve.log" 2>&1 | tr '\n' '|'))"
fi
# the same script with the default budget files into Early
deliver <"$msg"
expect_rc 0
expect_count "$(folder Early)/new" 1

begin compile-error "a script with a syntax error (line 4) -> kept in INBOX, exit 0, file:line:col in ~/.sieve.log"
reset_home
set_script 'require "fileinto";
if header :contains "subject" "fault" {
  fileinto "A"
}'
deliver <"$msg"
expect_rc 0
expect_quiet
expect_delivered_once INBOX "$msg"
if grep -qE '(\.sieve|main\.sieve):4:1: error' "$home/.sieve.log" 2>/dev/null; then
	ok "~/.sieve.log: $(grep -m1 -E ':4:1: error' "$home/.sieve.log" | cut -c1-160)"
else
	bad "no 'FILE:4:1: error' in ~/.sieve.log ($(head -3 "$home/.sieve.log" 2>&1 | tr '\n' '|'))"
fi

# ---- malformed messages ----

# malformed NAME WHAT INPUT-PRINTF [STORED-PRINTF]: the input (printf
# format) is stored byte for byte, or as the second format says
malformed() {
	local name=$1 what=$2
	begin "malformed-$name" "$what -> INBOX byte for byte, exit 0"
	reset_home
	# a script that looks at headers and body, so the parser sees it all
	set_script 'require ["fileinto", "body"];
if anyof (header :contains "subject" "zzz-never", body :contains "zzz-never") { fileinto "Z"; }'
	printf "$3" >"$T/in"
	printf "${4-$3}" >"$T/want"
	deliver <"$T/in"
	expect_rc 0
	expect_quiet
	expect_delivered_once INBOX "$T/want"
	check "no script error logged" test ! -s "$home/.sieve.log"
}

malformed no-separator "headers only, no blank line and no body" 'Subject: a\nX-Foo: b\n'
malformed no-headers "body text without any header" 'just some text\nand more\n'
malformed not-a-header "a first line that is not a header" 'this is not a header\nSubject: y\n\nbody\n'
malformed nul "NUL bytes in the header and the body" 'Subject: n\000ul\n\nab\000cd\000\n'
malformed bare-cr "bare CR inside lines (a CR before LF goes)" 'Subject: c\rr\n\nline1\rstill1\n\r\rline2\r\n' \
	'Subject: c\rr\n\nline1\rstill1\n\r\rline2\n'
malformed 8bit "8-bit junk and invalid UTF-8" 'Subject: \377\376\200\n\n\303\050\240\241\n'
malformed crlf "CRLF line ends" 'Subject: crlf\r\nTo: x@y\r\n\r\nbody\r\nline\r\n' 'Subject: crlf\nTo: x@y\n\nbody\nline\n'
malformed no-final-newline "no newline at the end" 'Subject: x\n\nno newline at the end'
malformed empty "empty input" ''
malformed long-line "a 200 KiB header line" "Subject: $(head -c 204800 /dev/zero | tr '\0' x)\n\nbody\n"

# ---- the user ----

begin missing-home "the user's home folder does not exist -> 75 with 4.2.0, nothing created"
reset_home
rm -rf "$home"
deliver <"$msg"
expect_rc 75
expect_status "4.2.0"
check "the home folder is still missing" test ! -e "$home"

# ---- the configuration ----

begin bad-config "a sift.conf (-c) that is invalid, a folder or missing -> 75 with 4.3.5, nothing delivered"
reset_home
cp "$conf" "$T/conf.good"
printf 'mail-location = maildir:~/Maildir\nno-such-key = 1\n' >"$conf"
deliver <"$msg"
expect_rc 75
expect_status "4.3.5"
check "the error names the file and line" grep -q "$conf:2:" "$T/err$tag"
rm -f "$conf"
mkdir "$conf"
deliver <"$msg"
expect_rc 75
expect_status "4.3.5"
rmdir "$conf"
deliver <"$msg"
expect_rc 75
expect_status "4.3.5"
expect_nothing_visible
cp "$T/conf.good" "$conf"
deliver <"$msg"
expect_rc 0
expect_delivered_once INBOX "$msg"

# ---- size ----

begin oversize "a message over max-message-size -> 77 with 5.3.4, read to the end (no EPIPE)"
reset_home
big=$T/msg-big
message "$big" "too big" $((3 * 1024 * 1024))
# the writer dies of SIGPIPE (141) or fails if the program stops reading
deliver -o max-message-size=4096 < <(
	cat "$big"
	echo $? >"$T/writer"
)
wait $! 2>/dev/null
writer=$(cat "$T/writer")
expect_rc 77
expect_status "5.3.4"
check "the writer saw no broken pipe (cat exit $writer)" test "$writer" -eq 0
expect_nothing_visible
# the limit itself: 4096 bytes pass, 4097 do not
head -c 4096 "$big" >"$T/exact"
deliver -o max-message-size=4096 <"$T/exact"
expect_rc 0
expect_delivered_once INBOX "$T/exact"
head -c 4097 "$big" >"$T/over"
deliver -o max-message-size=4096 <"$T/over"
expect_rc 77
expect_status "5.3.4"

finish
