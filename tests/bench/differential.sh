#!/usr/bin/env bash
# differential.sh: run every corpus message through sift and through Dovecot
# Pigeonhole (the reference implementation) with the same script and the same
# envelope, and print every message on which the two engines disagree.
#
#   differential.sh [-w WORK] [-s "small medium"] CORPUS
#
# CORPUS is a folder written by gen-corpus (maildir/, manifest.tsv, scripts/).
# For each script and each message of manifest.tsv:
#   sift:       sieve-test -f FROM -a TO SCRIPT MSG           (one process)
#   Pigeonhole: sieve-test -c CONF -f FROM -a TO -r TO SCRIPT MSG
# (Pigeonhole's envelope "to", and so envelope :detail, reads -a, the
# original recipient; -r alone also sets it.)  Both outputs are normalised
# to one form: comma-separated, sorted actions
#   fileinto:FOLDER[flags]  keep[flags]  discard  redirect:ADDR  (error)
# where "keep" is the explicit or the implicit keep (a store into INBOX)
# and flags are lowercased and sorted (Pigeonhole prints \seen, sift \Seen).
#
# Also checked, and reported as separate counts:
#   * that the Return-Path / Delivered-To headers of each message agree with
#     the envelope of manifest.tsv (sift's --batch guesses the envelope from
#     them);
#   * that sift's --batch over the Maildir gives the same answer as sift one
#     message at a time with the manifest's envelope.
#
# Tools: SIFT_TEST (sift's sieve-test; default: the one on PATH or in the
# current build folder), PIG_SIEVE_TEST and PIG_SIEVEC (Pigeonhole's).
# Exit status: 0 if the engines agree on every message, 1 if they differ,
# 2 on usage or setup errors.

set -u
export LC_ALL=C

WORK=""
SCRIPTS="small medium"
AS_USER=nobody

usage() {
    sed -n '2,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//'
}

while getopts "w:s:u:h" opt; do
    case $opt in
        w) WORK=$OPTARG ;;
        s) SCRIPTS=$OPTARG ;;
        u) AS_USER=$OPTARG ;;
        h) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { usage >&2; exit 2; }
CORPUS=$(readlink -f "$1")
for f in manifest.tsv maildir/cur scripts; do
    [ -e "$CORPUS/$f" ] || { echo "differential: $CORPUS/$f missing" >&2; exit 2; }
done

if [ -z "${SIFT_TEST:-}" ]; then
    if [ -x ./sieve-test ] && grep -q sift ./sieve-test 2>/dev/null; then
        SIFT_TEST=$(readlink -f ./sieve-test)
    else
        echo "differential: set SIFT_TEST to sift's sieve-test" >&2
        exit 2
    fi
fi
: "${PIG_SIEVE_TEST:=$(command -v sieve-test || true)}"
: "${PIG_SIEVEC:=$(command -v sievec || true)}"
# Pigeonhole's sieve-test answers any unknown option with its usage line,
# "Usage: sieve-test [-a <orig-recipient-address] [-c <config-file>] ...".
if [ -z "$PIG_SIEVE_TEST" ] || ! "$PIG_SIEVE_TEST" -h 2>&1 | grep -q 'config-file'; then
    echo "differential: Pigeonhole's sieve-test not found (set PIG_SIEVE_TEST)" >&2
    exit 2
fi

if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/sift-diff.XXXXXX") || exit 2
fi
mkdir -p "$WORK/scripts" || exit 2
WORK=$(readlink -f "$WORK")
chmod 755 "$WORK" "$WORK/scripts"
log() { printf '%s\n' "$*" >&2; }

# Minimal configuration: the system's dovecot.conf (sieve_before scripts, user
# database, ...) plays no part.
CONF="$WORK/dovecot.conf"
cat > "$CONF" <<EOF
# Minimal Dovecot configuration for Pigeonhole's sieve-test; written by
# sift's tests/bench/differential.sh.
mail_location = maildir:$WORK/Maildir:LAYOUT=fs
postmaster_address = postmaster@example.org
plugin {
  sieve = file:$WORK/scripts/empty.sieve
}
EOF
PIG_OPTS=(-c "$CONF")
if [ "$(id -u)" -eq 0 ]; then
    # Dovecot refuses mail access as root; sieve-test is content with a
    # mail_uid to drop to.
    PIG_OPTS+=(-o "mail_uid=$AS_USER" -o "mail_gid=$(id -gn "$AS_USER")")
fi

MAN="$WORK/manifest.tsv"
awk -F'\t' '!/^#/ && NF >= 8 { print $2 "\t" $7 "\t" $8 }' "$CORPUS/manifest.tsv" > "$MAN"
N=$(wc -l < "$MAN")
M="$CORPUS/maildir/cur"
log "differential: corpus $CORPUS ($N messages), work folder $WORK"
log "  sift:       $SIFT_TEST"
log "  pigeonhole: $PIG_SIEVE_TEST"

# --- envelope check: the headers sift's --batch reads vs the manifest ----------
env_bad=0
while IFS=$'\t' read -r file from to; do
    hdr=$(awk '/^$/ { exit } { print }' "$M/$file")
    rp=$(printf '%s\n' "$hdr" | sed -n 's/^Return-Path:[[:space:]]*<\{0,1\}\([^>]*\)>\{0,1\}.*/\1/Ip' | head -1)
    dt=$(printf '%s\n' "$hdr" | sed -n 's/^Delivered-To:[[:space:]]*<\{0,1\}\([^>[:space:]]*\)>\{0,1\}.*/\1/Ip' | head -1)
    if [ "$rp" != "$from" ] || [ "$dt" != "$to" ]; then
        env_bad=$((env_bad + 1))
        [ "$env_bad" -le 10 ] && log "  envelope mismatch: $file: Return-Path <$rp> Delivered-To <$dt>, manifest <$from> <$to>"
    fi
done < "$MAN"
echo "envelope headers vs manifest: $((N - env_bad)) of $N agree"

# --- normalisers ----------------------------------------------------------------
# Both read a stream of "@@ FILE" lines, each followed by one tool's output
# for that message, and print "FILE<TAB>normalised actions".
norm_common='
function flush(   i, j, t, n) {
    if (cur == "") return
    if (pend != "") { acts[++na] = pend pflags(); pend = "" }
    # sort the actions (insertion sort; there are few)
    for (i = 2; i <= na; i++) { t = acts[i]; for (j = i - 1; j >= 1 && acts[j] > t; j--) acts[j + 1] = acts[j]; acts[j + 1] = t }
    out = ""
    for (i = 1; i <= na; i++) out = out (i > 1 ? "," : "") acts[i]
    if (err) out = out (out != "" ? "," : "") "(error)"
    if (out == "") out = "(none)"
    print cur "\t" out
    na = 0; err = 0; nfl = 0
}
function pflags(   i, j, t, s) {
    if (nfl == 0) return ""
    for (i = 2; i <= nfl; i++) { t = fl[i]; for (j = i - 1; j >= 1 && fl[j] > t; j--) fl[j + 1] = fl[j]; fl[j + 1] = t }
    s = "["
    for (i = 1; i <= nfl; i++) s = s (i > 1 ? " " : "") fl[i]
    nfl = 0
    return s "]"
}
function setflags(list,   a, n, i) {
    n = split(tolower(list), a, /[ \t]+/)
    nfl = 0
    for (i = 1; i <= n; i++) if (a[i] != "") fl[++nfl] = a[i]
}
function start(a) { if (pend != "") acts[++na] = pend pflags(); pend = a }
function store(folder) { start(folder == "INBOX" ? "keep" : "fileinto:" folder) }
/^@@ / { flush(); cur = substr($0, 4); next }
'
norm_pig="$norm_common"'
/^ \* store message in folder: / { sub(/^ \* store message in folder: /, ""); store($0); next }
/^ \* discard/ { start("discard"); next }
/^ \* redirect message to: / { sub(/^ \* redirect message to: /, ""); gsub(/[<>]/, ""); start("redirect:" $0); next }
/^ \* / { sub(/^ \* /, ""); start("other:" $0); next }
/^ +\+ add IMAP flags: / { sub(/^ +\+ add IMAP flags: /, ""); setflags($0); next }
/: (Error|Fatal|Panic): / || /error while loading/ { err = 1; next }
END { flush() }
'
norm_sift="$norm_common"'
/^  \* store message in folder: / {
    sub(/^  \* store message in folder: /, ""); sub(/ \(line [0-9]+\)$/, ""); sub(/ \(:copy\)$/, "")
    store($0); next }
/^  \* keep message in INBOX/ || /^  \* implicit keep:/ { start("keep"); next }
/^  \* discard message/ { start("discard"); next }
/^  \* redirect message to: / { sub(/^  \* redirect message to: /, ""); sub(/ \(line [0-9]+\)$/, ""); sub(/ \(:copy\)$/, ""); start("redirect:" $0); next }
/^  \* / { sub(/^  \* /, ""); start("other:" $0); next }
/^      with flags \[/ { sub(/^      with flags \[/, ""); sub(/\]$/, ""); setflags($0); next }
/^sieve-test: .*error/ { err = 1; next }
# the "FILE:" heading; anything else (a loader error, a crash) is an error
/^\/.*:$/ || /^  \(no actions\)$/ { next }
NF > 0 { err = 1; print "differential: sift said: " $0 > "/dev/stderr" }
END { flush() }
'
# sift --batch lines ("NAME<TAB>fileinto:Junk[\Seen],keep") into the same form
norm_batch='
{
    name = $0; sub(/\t.*/, "", name); rest = substr($0, length(name) + 2)
    err = sub(/ \(error\)$/, "", rest)
    n = 0
    # split on commas outside [...]
    s = ""; depth = 0
    for (i = 1; i <= length(rest); i++) {
        c = substr(rest, i, 1)
        if (c == "[") depth++
        else if (c == "]") depth--
        if (c == "," && depth == 0) { a[++n] = s; s = "" } else s = s c
    }
    if (s != "") a[++n] = s
    for (i = 1; i <= n; i++) {
        t = a[i]; f = ""
        if (match(t, /\[.*\]$/)) {
            f = substr(t, RSTART + 1, RLENGTH - 2); t = substr(t, 1, RSTART - 1)
            m = split(tolower(f), g, / /)
            for (x = 2; x <= m; x++) { y = g[x]; for (z = x - 1; z >= 1 && g[z] > y; z--) g[z + 1] = g[z]; g[z + 1] = y }
            f = "["; for (x = 1; x <= m; x++) f = f (x > 1 ? " " : "") g[x]; f = f "]"
        }
        if (t == "fileinto:INBOX") t = "keep"
        a[i] = t f
    }
    for (x = 2; x <= n; x++) { y = a[x]; for (z = x - 1; z >= 1 && a[z] > y; z--) a[z + 1] = a[z]; a[z + 1] = y }
    out = ""
    for (i = 1; i <= n; i++) out = out (i > 1 ? "," : "") a[i]
    if (err) out = out (out != "" ? "," : "") "(error)"
    if (out == "") out = "(none)"
    print name "\t" out
}
'

# --- run ------------------------------------------------------------------------
total_diff=0
summary=""
for s in $SCRIPTS; do
    src="$CORPUS/scripts/$s.sieve"
    [ -f "$src" ] || { log "differential: $src missing"; continue; }
    cp "$src" "$WORK/scripts/$s.sieve"
    S="$WORK/scripts/$s.sieve"
    # precompile in place, so sieve-test loads the binary and writes nothing
    if [ -n "$PIG_SIEVEC" ]; then
        "$PIG_SIEVEC" "${PIG_OPTS[@]}" "$S" > "$WORK/$s.pig-sievec.out" 2>&1 ||
            { log "differential: Pigeonhole rejects $s.sieve:"; cat "$WORK/$s.pig-sievec.out" >&2; continue; }
        chmod 644 "$WORK/scripts/$s.svbin" 2>/dev/null
    fi
    "$SIFT_TEST" "$S" /dev/null > /dev/null 2>&1  # fails early on a bad script
    log "== $s.sieve: $N messages through each engine"
    : > "$WORK/$s.pig.raw"; : > "$WORK/$s.sift.raw"
    while IFS=$'\t' read -r file from to; do
        echo "@@ $file" >> "$WORK/$s.pig.raw"
        "$PIG_SIEVE_TEST" "${PIG_OPTS[@]}" -f "$from" -a "$to" -r "$to" "$S" "$M/$file" \
            >> "$WORK/$s.pig.raw" 2>&1
        echo "@@ $file" >> "$WORK/$s.sift.raw"
        "$SIFT_TEST" -f "$from" -a "$to" "$S" "$M/$file" >> "$WORK/$s.sift.raw" 2>&1
    done < "$MAN"
    awk "$norm_pig" "$WORK/$s.pig.raw" > "$WORK/$s.pig.tsv"
    awk "$norm_sift" "$WORK/$s.sift.raw" > "$WORK/$s.sift.tsv"
    # sift over the whole Maildir in one process, envelope from the headers
    "$SIFT_TEST" --batch "$CORPUS/maildir" "$S" 2> "$WORK/$s.batch.err" |
        awk "$norm_batch" > "$WORK/$s.batch.tsv"

    # join on the file name, in manifest order
    awk -F'\t' -v script="$s" '
        FILENAME == ARGV[1] { pig[$1] = $2; next }
        FILENAME == ARGV[2] { sift[$1] = $2; next }
        FILENAME == ARGV[3] { bat[$1] = $2; next }
        {
            f = $1; p = (f in pig) ? pig[f] : "(missing)"; q = (f in sift) ? sift[f] : "(missing)"
            b = (f in bat) ? bat[f] : "(missing)"
            if (p != q) { nd++; printf "DIFF\t%s\t%s\tsift=%s\tpigeonhole=%s\n", script, f, q, p }
            if (b != q) { nb++; printf "BATCH\t%s\t%s\tsift-per-message=%s\tsift-batch=%s\n", script, f, q, b }
            n++
        }
        END { printf "COUNT\t%s\t%d\t%d\t%d\n", script, n, nd + 0, nb + 0 }
    ' "$WORK/$s.pig.tsv" "$WORK/$s.sift.tsv" "$WORK/$s.batch.tsv" "$MAN" > "$WORK/$s.diff"
    grep -v '^COUNT' "$WORK/$s.diff"
    read -r _ _ n nd nb < <(grep '^COUNT' "$WORK/$s.diff")
    total_diff=$((total_diff + nd))
    summary+=$(printf '%-10s %6d messages %6d differ (sift vs Pigeonhole) %6d differ (sift batch vs per message)' \
        "$s.sieve" "$n" "$nd" "$nb")$'\n'
    # which action strings differ, how often
    awk -F'\t' '$1 == "DIFF" { print "  " $4 "  vs  " $5 }' "$WORK/$s.diff" | sort | uniq -c | sort -rn > "$WORK/$s.diff-kinds"
done

echo
echo "Summary:"
printf '%s' "$summary"
for s in $SCRIPTS; do
    [ -s "$WORK/$s.diff-kinds" ] || continue
    echo "kinds of differences, $s.sieve:"
    cat "$WORK/$s.diff-kinds"
done
echo "details in $WORK (*.pig.raw, *.sift.raw, *.diff)"
[ "$total_diff" -eq 0 ]
