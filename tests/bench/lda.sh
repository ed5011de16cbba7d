#!/usr/bin/env bash
# lda.sh: messages per second of sift's sieve-deliver doing real, fsync'd
# Maildir delivery through a user's script, beside Dovecot's dovecot-lda
# with Pigeonhole on the same sample, one process per message as an MTA
# runs them.
#
# Called by "make bench" and "make bench-lda" (tests/bench/bench.mk) with
# installed binaries. Environment:
#
#   SIFT_BIN      folder with the installed sieve-deliver (required)
#   CORPUS        gen-corpus folder (default: WORK/corpus, made with GEN_CORPUS)
#   GEN_CORPUS    path of gen-corpus (needed only without a corpus)
#   WORK          work folder (default: a new one under ${TMPDIR:-/tmp})
#   SAMPLE        messages per pass (default 100), spread over the size ranking
#   RUNS          timed passes after one warm-up pass (default 5)
#   LDA_SCRIPTS   scripts of the corpus to deliver through (default "medium large")
#   DOVECOT_LDA   Dovecot's LDA (default /usr/lib/dovecot/dovecot-lda when there)
#   AS_USER       user the deliveries run as when started as root (default nobody)
#
# Each engine delivers into its own home (both write X.svbin beside X.sieve),
# with its own configuration: sift.conf and dovecot.conf written here. Both
# fsync every message (sift always; Dovecot's default mail_fsync=optimized
# fsyncs deliveries). Each message goes to /bin/true, sift and Dovecot in
# turn, so that the ratios hold on a busy machine. The warm-up pass starts
# from empty Maildirs and makes the folders (and Dovecot's indexes); the
# timed passes deliver into them as they are, as mail arrives for a user
# who has mail: making folders is a one-time cost, and deleting hundreds of
# files right before a timed pass would slow down every file it creates
# (ext4 passes over inodes freed in the last minute when it allocates).
#
# Target (issue 7): sift >= 4x dovecot-lda's rate with the medium script.

set -u
export LC_ALL=C

SELF=$(readlink -f "$0")
: "${SAMPLE:=100}" "${RUNS:=5}" "${LDA_SCRIPTS:=medium large}" "${AS_USER:=nobody}"
: "${CORPUS:=}" "${GEN_CORPUS:=}" "${WORK:=}" "${SIFT_BIN:=}"
: "${DOVECOT_LDA:=}"
if [ -z "$DOVECOT_LDA" ] && [ -x /usr/lib/dovecot/dovecot-lda ]; then
    DOVECOT_LDA=/usr/lib/dovecot/dovecot-lda
fi

log() { printf '%s\n' "$*" >&2; }
die() { log "bench-lda: $*"; exit 2; }

[ -n "$SIFT_BIN" ] || die "SIFT_BIN (folder of the installed sieve-deliver) not set"
SIFT_BIN=$(readlink -f "$SIFT_BIN")
LDA="$SIFT_BIN/sieve-deliver"
[ -x "$LDA" ] || die "no sieve-deliver in $SIFT_BIN"
if head -c 2 "$LDA" | grep -q '#!'; then
    die "$LDA is a script (a libtool wrapper?); time installed binaries"
fi

if [ -z "${BENCH_REEXEC:-}" ]; then
    [ -n "$WORK" ] || WORK=$(mktemp -d "${TMPDIR:-/tmp}/sift-bench-lda.XXXXXX") || exit 2
    mkdir -p "$WORK" || exit 2
    WORK=$(readlink -f "$WORK")
    if [ -z "$CORPUS" ]; then
        CORPUS="$WORK/corpus"
        if [ ! -f "$CORPUS/corpus-info.txt" ]; then
            [ -n "$GEN_CORPUS" ] && [ -f "$GEN_CORPUS" ] ||
                die "no CORPUS given and gen-corpus not found at '${GEN_CORPUS}'"
            log "bench-lda: generating the corpus (1000 messages, seed 5228) in $CORPUS"
            python3 "$GEN_CORPUS" -n 1000 -s 5228 --force "$CORPUS" >&2 || die "gen-corpus failed"
        fi
    fi
    CORPUS=$(readlink -f "$CORPUS")
    L="$WORK/lda"
    rm -rf "$L"
    mkdir -p "$L/msgs" "$L/t" "$L/sift-home/sieve" "$L/dove-home/sieve"
    # the sample: SAMPLE messages spread evenly over the size ranking
    awk -F'\t' '!/^#/ && NF >= 8 { print $3 "\t" $2 "\t" $7 "\t" $8 }' "$CORPUS/manifest.tsv" |
        sort -n -k1,1 |
        awk -F'\t' -v k="$SAMPLE" '{ line[NR] = $2 "\t" $3 "\t" $4 }
            END { n = NR; if (k > n) k = n
                  for (i = 0; i < k; i++) print line[(k > 1) ? int(i * (n - 1) / (k - 1) + 0.5) + 1 : n] }' \
        > "$L/sample.tsv"
    while IFS=$'\t' read -r file from to; do
        cp "$CORPUS/maildir/cur/$file" "$L/msgs/"
    done < "$L/sample.tsv"
    for s in $LDA_SCRIPTS; do
        [ -f "$CORPUS/scripts/$s.sieve" ] || die "$CORPUS/scripts/$s.sieve missing"
        cp "$CORPUS/scripts/$s.sieve" "$L/sift-home/sieve/"
        cp "$CORPUS/scripts/$s.sieve" "$L/dove-home/sieve/"
    done
    if [ "$(id -u)" -eq 0 ]; then
        command -v setpriv > /dev/null || die "started as root: needs setpriv to drop to $AS_USER"
        uid=$(id -u "$AS_USER") && gid=$(id -g "$AS_USER") || exit 2
        chown -R "$uid:$gid" "$L"
        chown "$uid:$gid" "$WORK"
        log "bench-lda: started as root; delivering as $AS_USER ($uid:$gid)"
        exec setpriv --reuid="$uid" --regid="$gid" --clear-groups \
            env BENCH_REEXEC=1 USER="$AS_USER" LOGNAME="$AS_USER" PATH="$PATH" LC_ALL=C \
            SIFT_BIN="$SIFT_BIN" WORK="$WORK" CORPUS="$CORPUS" SAMPLE="$SAMPLE" RUNS="$RUNS" \
            LDA_SCRIPTS="$LDA_SCRIPTS" DOVECOT_LDA="$DOVECOT_LDA" bash "$SELF"
    fi
fi

L="$WORK/lda"
TMP="$L/t"
K=$(wc -l < "$L/sample.tsv")
cat > "$L/sift.conf" <<EOF
# written by sift's tests/bench/lda.sh
mail-location = maildir:~/Maildir
sieve-active = ~/.sieve
EOF
cat > "$L/dovecot.conf" <<EOF
# written by sift's tests/bench/lda.sh
mail_location = maildir:~/Maildir
postmaster_address = postmaster@example.org
# as sift does by default: fileinto creates folders, '/' separates levels
lda_mailbox_autocreate = yes
namespace inbox {
  inbox = yes
  separator = /
}
protocol lda {
  mail_plugins = sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
EOF

# HOME is set by the shell for the one command, as an MTA sets the LDA's
# environment: no env(1) process in between to time
sift_one() { CMD=("$LDA" -c "$L/sift.conf" -f "$from" -a "$to"); }
dove_one() { CMD=("$DOVECOT_LDA" -c "$L/dovecot.conf" -f "$from" -a "$to"); }
true_one() { CMD=(/bin/true); }

# deliver SCRIPT ENGINE...: one warm-up pass (compiles the script, checks
# the outcome), then RUNS timed passes; microseconds per pass to
# lda_ENGINE_SCRIPT.us. Each message goes to every engine in turn, so that
# whatever else the machine does at that moment costs all of them alike
# and the ratio between them holds even on a busy machine. An engine is
# "true" (/bin/true), "sift" or "dove".
deliver() {
    local s=$1
    shift
    local i e t0 t1 file from to fails=0
    local -A tp home
    home[true]=$L/true-home home[sift]=$L/sift-home home[dove]=$L/dove-home
    for e in "$@"; do : > "$TMP/lda_${e}_$s.us"; : > "$TMP/lda_${e}_$s.out"; done
    # the last script's Maildirs are put aside, deleted at the end
    for e in "$@"; do
        [ ! -e "${home[$e]}/Maildir" ] || mv "${home[$e]}/Maildir" "$L/old-maildirs/$e.$s"
    done
    for ((i = 0; i <= RUNS; i++)); do
        for e in "$@"; do tp[$e]=0; done
        while IFS=$'\t' read -r file from to; do
            for e in "$@"; do
                "${e}_one"
                t0=${EPOCHREALTIME/[.,]/}
                HOME=${home[$e]} "${CMD[@]}" < "$L/msgs/$file" >> "$TMP/lda_${e}_$s.out" 2>&1 || fails=$((fails + 1))
                t1=${EPOCHREALTIME/[.,]/}
                tp[$e]=$((tp[$e] + t1 - t0))
            done
        done < "$L/sample.tsv"
        for e in "$@"; do
            if [ "$i" -eq 0 ]; then
                # where the warm-up pass filed each message: folder and
                # count, to compare the engines' outcomes
                (cd "${home[$e]}" 2> /dev/null && find Maildir -type f \( -path '*/new/*' -o -path '*/cur/*' \) 2> /dev/null |
                    sed 's,/\(new\|cur\)/.*,,' | sort | uniq -c) > "$TMP/lda_${e}_$s.folders"
            else
                echo "${tp[$e]}" >> "$TMP/lda_${e}_$s.us"
            fi
        done
    done
    [ "$fails" -eq 0 ] || log "  warning: $s: $fails deliveries failed (see $TMP/lda_*_$s.out)"
}

# median of a file of integers
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

log "== LDA: one process per message, $K messages, real Maildir delivery"
RES="$L/results.tsv"
: > "$RES"
mkdir -p "$L/true-home" "$L/old-maildirs"
: > "$TMP/lda_true.us"
ENGINES=(true sift)
[ -z "$DOVECOT_LDA" ] || ENGINES+=(dove)
for s in $LDA_SCRIPTS; do
    ln -sfn "sieve/$s.sieve" "$L/sift-home/.sieve"
    ln -sfn "sieve/$s.sieve" "$L/dove-home/.dovecot.sieve"
    log "  $s"
    deliver "$s" "${ENGINES[@]}"
    cat "$TMP/lda_true_$s.us" >> "$TMP/lda_true.us"
    printf '%s\tsift\t%s\n' "$s" "$(median "$TMP/lda_sift_$s.us")" >> "$RES"
    if [ -n "$DOVECOT_LDA" ]; then
        printf '%s\tdovecot\t%s\n' "$s" "$(median "$TMP/lda_dove_$s.us")" >> "$RES"
        cmp -s "$TMP/lda_sift_$s.folders" "$TMP/lda_dove_$s.folders" ||
            log "  warning: the engines filed differently with $s: diff $TMP/lda_sift_$s.folders $TMP/lda_dove_$s.folders"
    fi
done

{
    echo
    echo "LDA: one process per message, real fsync'd Maildir delivery, $K messages"
    echo "(sift: HOME=H sieve-deliver -c sift.conf -f FROM -a TO < MSG;"
    echo " Dovecot: HOME=H dovecot-lda -c dovecot.conf -f FROM -a TO < MSG, Pigeonhole sieve plugin)"
    awk -F'\t' -v k="$K" -v tr="$(median "$TMP/lda_true.us")" '
        { us[$1, $2] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
        END {
            printf "  %-8s %20s %20s %16s\n", "script", "sift msg/s (ms/msg)", "dovecot msg/s (ms/msg)", "sift faster by"
            printf "  %-8s %11.0f (%6.2f)\n", "/bin/true", tr ? 1e6 * k / tr : 0, tr / 1000 / k
            for (i = 1; i <= n; i++) {
                s = order[i]; a = us[s, "sift"]; b = us[s, "dovecot"]
                line = sprintf("  %-8s %11.0f (%6.2f)", s, 1e6 * k / a, a / 1000 / k)
                if (b != "") line = line sprintf(" %13.0f (%6.2f) %15.1fx", 1e6 * k / b, b / 1000 / k, b / a)
                else line = line "   dovecot-lda not installed"
                print line
            }
            a = us["medium", "sift"]; b = us["medium", "dovecot"]
            if (a != "" && b != "")
                printf "  target: sift >= 4.0x dovecot-lda with medium: %.1fx  %s\n", b / a, (b / a >= 4) ? "met" : "NOT MET"
        }' "$RES"
    echo "  (median of $RUNS passes after a warm-up pass; raw microseconds per pass in $TMP)"
} | tee "$L/results.txt"
rm -rf "$L/old-maildirs"
