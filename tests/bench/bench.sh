#!/usr/bin/env bash
# bench.sh: time sift against Dovecot Pigeonhole on a gen-corpus corpus, in
# the same run, and print the figures with the ratios against sift's targets.
#
# Called by "make bench" (tests/bench/bench.mk), which installs sift into a
# private DESTDIR first, so installed binaries, not libtool wrappers, are
# timed.  Environment:
#
#   SIFT_BIN     folder with sift's installed sievec and sieve-test (required)
#   SIFT_LIB     folder with the installed libsift (put on LD_LIBRARY_PATH)
#   CORPUS       corpus folder written by gen-corpus; if empty, one is made
#                with GEN_CORPUS (1000 messages, seed 5228) under WORK
#   GEN_CORPUS   path of gen-corpus (needed only without CORPUS)
#   WORK         work folder (default: a new one under ${TMPDIR:-/tmp})
#   RUNS         timed runs per measurement, after one warm-up (default 5)
#   SAMPLE       messages in the one-process-per-message sample (default 100)
#   LAT_SCRIPTS  scripts for the per-message section (default "medium large")
#   QUICK=1      RUNS=3, SAMPLE=30, LAT_SCRIPTS=medium: under 2 minutes
#   AS_USER      unprivileged user when started as root (default nobody)
#   SIEVEC, SIEVE_TEST, SIEVE_FILTER   Pigeonhole's tools (default: PATH)
#
# Every figure is whole-process wall time from bash's $EPOCHREALTIME taken
# just before the command starts and just after it is reaped (as in
# shared/bench/run-peers); medians of RUNS runs, with min and max.
#
# Targets (ratios printed at the end):
#   compile large:  sift sievec >= 5x faster than Pigeonhole's sievec
#   per message:    sift sieve-test (medium, precompiled) within 1.5x of
#                   a bare /bin/true started the same way
#   batch medium:   sift sieve-test --batch >= 9x faster than sieve-filter
#   batch large:    >= 20x faster than sieve-filter

set -u
export LC_ALL=C

SELF=$(readlink -f "$0")
: "${RUNS:=5}" "${SAMPLE:=100}" "${LAT_SCRIPTS:=medium large}" "${QUICK:=}"
: "${AS_USER:=nobody}" "${CORPUS:=}" "${GEN_CORPUS:=}" "${WORK:=}"
: "${SIFT_BIN:=}" "${SIFT_LIB:=}"
if [ -n "$QUICK" ] && [ "$QUICK" != 0 ]; then
    RUNS=3; SAMPLE=30; LAT_SCRIPTS=medium
fi
SCRIPTS="empty small medium large"
: "${SIEVEC:=$(command -v sievec || true)}"
: "${SIEVE_TEST:=$(command -v sieve-test || true)}"
: "${SIEVE_FILTER:=$(command -v sieve-filter || true)}"

log() { printf '%s\n' "$*" >&2; }
die() { log "bench: $*"; exit 2; }

# --- sift's installed binaries ---------------------------------------------------
[ -n "$SIFT_BIN" ] || die "SIFT_BIN (folder of the installed sievec and sieve-test) not set"
SIFT_BIN=$(readlink -f "$SIFT_BIN")
SIFTC="$SIFT_BIN/sievec"
SIFT_TEST="$SIFT_BIN/sieve-test"
[ -x "$SIFTC" ] && [ -x "$SIFT_TEST" ] || die "no sievec/sieve-test in $SIFT_BIN"
if [ -n "$SIFT_LIB" ]; then
    SIFT_LIB=$(readlink -f "$SIFT_LIB")
    export LD_LIBRARY_PATH="$SIFT_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if head -c 2 "$SIFT_TEST" | grep -q '#!'; then
    die "$SIFT_TEST is a script (a libtool wrapper?); time installed binaries"
fi

# Pigeonhole is optional: it is compared against only when installed (and
# only when it is Pigeonhole: sift's own tools have the same names).
PIG=1
if [ -z "$SIEVEC" ] || [ -z "$SIEVE_TEST" ] ||
        ! "$SIEVE_TEST" -h 2>&1 | grep -q 'config-file'; then
    PIG=""
fi

# --- work folder and corpus (done once, before dropping root) ----------------------
if [ -z "${BENCH_REEXEC:-}" ]; then
    if [ -z "$WORK" ]; then
        WORK=$(mktemp -d "${TMPDIR:-/tmp}/sift-bench.XXXXXX") || exit 2
    fi
    mkdir -p "$WORK" || exit 2
    WORK=$(readlink -f "$WORK")
    if [ -z "$CORPUS" ]; then
        CORPUS="$WORK/corpus"
        if [ ! -f "$CORPUS/corpus-info.txt" ] ||
                ! grep -q '^seed 5228, 1000 messages' "$CORPUS/corpus-info.txt"; then
            if [ -z "$GEN_CORPUS" ] || [ ! -f "$GEN_CORPUS" ]; then
                die "no CORPUS given and gen-corpus not found at '${GEN_CORPUS}'; set CORPUS=DIR or GEN_CORPUS=PATH"
            fi
            log "bench: generating the corpus (1000 messages, seed 5228) in $CORPUS"
            python3 "$GEN_CORPUS" -n 1000 -s 5228 --force "$CORPUS" >&2 || die "gen-corpus failed"
        fi
    fi
    CORPUS=$(readlink -f "$CORPUS")
    for f in manifest.tsv maildir/cur scripts/medium.sieve; do
        [ -e "$CORPUS/$f" ] || die "$CORPUS/$f missing (not a gen-corpus folder?)"
    done
    # private read-only copy of the Maildir; each engine gets its own script
    # folder, because both write X.svbin next to X.sieve
    rm -rf "$WORK/maildir" "$WORK/sift" "$WORK/pig" "$WORK/control" "$WORK/t"
    cp -R "$CORPUS/maildir" "$WORK/maildir"
    chmod -R a-w "$WORK/maildir"
    mkdir -p "$WORK/sift" "$WORK/pig" "$WORK/control" "$WORK/t" "$WORK/home"
    for s in $SCRIPTS; do
        cp "$CORPUS/scripts/$s.sieve" "$WORK/sift/"
        cp "$CORPUS/scripts/$s.sieve" "$WORK/pig/"
    done
    cp "$CORPUS/manifest.tsv" "$WORK/manifest.tsv"
    [ -f "$CORPUS/corpus-info.txt" ] && cp "$CORPUS/corpus-info.txt" "$WORK/"

    # Dovecot's mail tools refuse to work as root: re-run as AS_USER.
    if [ -n "$PIG" ] && [ "$(id -u)" -eq 0 ]; then
        command -v setpriv > /dev/null || die "started as root: needs setpriv to drop to $AS_USER"
        uid=$(id -u "$AS_USER") && gid=$(id -g "$AS_USER") || exit 2
        chown -R "$uid:$gid" "$WORK/sift" "$WORK/pig" "$WORK/control" "$WORK/t" "$WORK/home"
        chown "$uid:$gid" "$WORK"
        setpriv --reuid="$uid" --regid="$gid" --clear-groups test -x "$SIFT_TEST" -a -r "$SELF" ||
            die "user $AS_USER cannot run $SIFT_TEST or read $SELF (folders above need o+x)"
        log "bench: started as root; continuing as $AS_USER ($uid:$gid)"
        exec setpriv --reuid="$uid" --regid="$gid" --clear-groups \
            env BENCH_REEXEC=1 HOME="$WORK/home" USER="$AS_USER" LOGNAME="$AS_USER" \
            PATH="$PATH" LC_ALL=C LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}" \
            SIFT_BIN="$SIFT_BIN" SIFT_LIB="" WORK="$WORK" CORPUS="$CORPUS" \
            RUNS="$RUNS" SAMPLE="$SAMPLE" LAT_SCRIPTS="$LAT_SCRIPTS" QUICK="" \
            SIEVEC="$SIEVEC" SIEVE_TEST="$SIEVE_TEST" SIEVE_FILTER="$SIEVE_FILTER" \
            bash "$SELF"
    fi
fi

TMP="$WORK/t"
MAILDIR="$WORK/maildir"
RES="$WORK/results.tsv"
: > "$RES"

# --- timing helpers --------------------------------------------------------------
# stats FILE -> "min med max" of the integers (microseconds) in FILE
stats() {
    sort -n "$1" | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "0 0 0"; exit }
            med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%d %.1f %d\n", v[1], med, v[NR]
        }'
}

# timed NAME cmd... : one warm-up run (output kept in $TMP/NAME.out), then
# RUNS timed runs, microseconds to $TMP/NAME.us
timed() {
    local name=$1; shift
    local i t0 t1
    "$@" > "$TMP/$name.out" 2>&1 || log "  warning: $name exited $? (see $TMP/$name.out)"
    : > "$TMP/$name.us"
    for ((i = 0; i < RUNS; i++)); do
        t0=${EPOCHREALTIME/[.,]/}
        "$@" > /dev/null 2>&1
        t1=${EPOCHREALTIME/[.,]/}
        echo $((t1 - t0)) >> "$TMP/$name.us"
    done
}

# record SECTION TOOL SCRIPT NAME [DIVISOR] : "section tool script min med max"
# in milliseconds (divided by DIVISOR, for per-message figures)
record() {
    local sec=$1 tool=$2 script=$3 name=$4 div=${5:-1}
    read -r mn md mx < <(stats "$TMP/$name.us")
    awk -v a="$mn" -v b="$md" -v c="$mx" -v d="$div" -v sec="$sec" -v tool="$tool" -v s="$script" \
        'BEGIN { printf "%s\t%s\t%s\t%.3f\t%.3f\t%.3f\n", sec, tool, s, a / 1000 / d, b / 1000 / d, c / 1000 / d }' >> "$RES"
}

# per_message NAME BUILDER : the sample, one process per message; one warm-up
# pass then RUNS timed passes. Pass totals go to NAME.us, single messages to
# NAME.msg.us. BUILDER sets the array CMD from $file $from $to.
per_message() {
    local name=$1 builder=$2
    local i t0 t1 tp file from to fails=0
    : > "$TMP/$name.us"; : > "$TMP/$name.msg.us"; : > "$TMP/$name.out"
    for ((i = 0; i <= RUNS; i++)); do
        tp=0
        while IFS=$'\t' read -r file from to; do
            $builder
            if [ "$i" -eq 0 ]; then
                "${CMD[@]}" >> "$TMP/$name.out" 2>&1 || fails=$((fails + 1))
                continue
            fi
            t0=${EPOCHREALTIME/[.,]/}
            "${CMD[@]}" > /dev/null 2>&1
            t1=${EPOCHREALTIME/[.,]/}
            echo $((t1 - t0)) >> "$TMP/$name.msg.us"
            tp=$((tp + t1 - t0))
        done < "$WORK/sample.tsv"
        [ "$i" -gt 0 ] && echo "$tp" >> "$TMP/$name.us"
    done
    [ "$fails" -eq 0 ] || log "  warning: $name: $fails of $K warm-up runs failed (see $TMP/$name.out)"
}
true_one() { CMD=(/bin/true "$MAILDIR/cur/$file"); }
sift_one() { CMD=("$SIFT_TEST" -f "$from" -a "$to" "$WORK/sift/$CUR.svbin" "$MAILDIR/cur/$file"); }
pig_one() {
    CMD=("$SIEVE_TEST" -c "$CONF" "${PIG_ROOT_OPTS[@]}" -f "$from" -r "$to"
         "$WORK/pig/$CUR.sieve" "$MAILDIR/cur/$file")
}

# --- setup ---------------------------------------------------------------------------
N=$(awk -F'\t' '!/^#/ && NF >= 8 { n++ } END { print n + 0 }' "$WORK/manifest.tsv")
CONF="$WORK/dovecot.conf"
cat > "$CONF" <<EOF
# Minimal Dovecot configuration for Pigeonhole's tools; written by sift's
# tests/bench/bench.sh, passed to every tool with -c.
mail_location = maildir:$WORK/lda/Maildir:LAYOUT=fs
postmaster_address = postmaster@example.org
plugin {
  sieve = file:$WORK/pig/empty.sieve
}
EOF
PIG_ROOT_OPTS=()
if [ "$(id -u)" -eq 0 ]; then   # only when Pigeonhole is absent or not re-run
    PIG_ROOT_OPTS=(-o "mail_uid=$AS_USER" -o "mail_gid=$(id -gn "$AS_USER")")
fi

# sample: SAMPLE messages spread evenly over the size ranking (as run-peers)
awk -F'\t' '!/^#/ && NF >= 8 { print $3 "\t" $2 "\t" $7 "\t" $8 }' "$WORK/manifest.tsv" |
    sort -n -k1,1 |
    awk -F'\t' -v n="$N" -v k="$SAMPLE" '
        BEGIN { if (k > n) k = n; for (i = 0; i < k; i++)
                    want[(k > 1) ? int(i * (n - 1) / (k - 1) + 0.5) + 1 : n] = 1 }
        (NR in want) { print $2 "\t" $3 "\t" $4 }' > "$WORK/sample.tsv"
K=$(wc -l < "$WORK/sample.tsv")

{
    echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "host:     $(uname -srm), $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
    echo "user:     $(id -un)"
    echo "corpus:   $CORPUS ($N messages); per-message sample $K messages"
    [ -f "$WORK/corpus-info.txt" ] && grep '^sha256' "$WORK/corpus-info.txt" | sed 's/^/          /'
    echo "sift:     $SIFT_TEST ($("$SIFT_TEST" --version 2>&1 | head -1))"
    if [ -n "$PIG" ]; then
        v=$(doveconf -c "$CONF" -n 2>/dev/null |
            sed -n 's/^# \(Pigeonhole version [^ ]*\).*/\1/p; s/^# \([0-9][^ ]*\) .*/Dovecot \1/p' | paste -sd' ')
        echo "peer:     ${v:-Pigeonhole} ($SIEVEC, $SIEVE_TEST, ${SIEVE_FILTER:-no sieve-filter})"
    else
        echo "peer:     Pigeonhole not installed: sift figures only"
    fi
    echo "runs:     $RUNS timed after 1 warm-up; page cache warm; work folder $WORK"
} > "$WORK/environment.txt"
cat "$WORK/environment.txt" >&2

# --- compile -----------------------------------------------------------------------
log "== compile"
for s in $SCRIPTS; do
    timed "compile_sift_$s" "$SIFTC" "$WORK/sift/$s.sieve" "$TMP/$s.sift.svbin"
    record compile sift "$s" "compile_sift_$s"
    "$SIFTC" "$WORK/sift/$s.sieve" "$WORK/sift/$s.svbin" || die "sift rejects $s.sieve"
    if [ -n "$PIG" ]; then
        timed "compile_pig_$s" "$SIEVEC" -c "$CONF" "${PIG_ROOT_OPTS[@]}" "$WORK/pig/$s.sieve" "$TMP/$s.pig.svbin"
        record compile pigeonhole "$s" "compile_pig_$s"
        # in place, so sieve-test and sieve-filter load the binary
        "$SIEVEC" -c "$CONF" "${PIG_ROOT_OPTS[@]}" "$WORK/pig/$s.sieve" > /dev/null 2>&1 ||
            { log "  Pigeonhole rejects $s.sieve"; }
    fi
done

# --- per message -------------------------------------------------------------------
log "== one process per message ($K messages)"
per_message lat_true true_one
record permsg /bin/true - lat_true "$K"
for CUR in $LAT_SCRIPTS; do
    log "  $CUR"
    per_message "lat_sift_$CUR" sift_one
    record permsg sift "$CUR" "lat_sift_$CUR" "$K"
    if [ -n "$PIG" ]; then
        per_message "lat_pig_$CUR" pig_one
        record permsg pigeonhole "$CUR" "lat_pig_$CUR" "$K"
    fi
done

# --- whole Maildir -----------------------------------------------------------------
log "== whole Maildir in one process ($N messages)"
sf_maildir() {
    CMD=("$SIEVE_FILTER" -c "$CONF"
         -o "mail_location=maildir:$MAILDIR:INDEX=MEMORY:CONTROL=$WORK/control"
         "$WORK/pig/$CUR.sieve" INBOX)
}
if [ -n "$PIG" ] && [ -n "$SIEVE_FILTER" ]; then
    # with a new CONTROL folder the first run sees no messages: prime it
    CUR=empty; sf_maildir; "${CMD[@]}" > /dev/null 2>&1
fi
for CUR in $SCRIPTS; do
    log "  $CUR"
    timed "batch_sift_$CUR" "$SIFT_TEST" --batch "$MAILDIR" "$WORK/sift/$CUR.svbin"
    got=$(grep -c $'\t' "$TMP/batch_sift_$CUR.out")
    [ "$got" -eq "$N" ] || log "  warning: sift batch $CUR printed $got results, expected $N"
    record batch sift "$CUR" "batch_sift_$CUR"
    if [ -n "$PIG" ] && [ -n "$SIEVE_FILTER" ]; then
        sf_maildir
        timed "batch_pig_$CUR" "${CMD[@]}"
        got=$(grep -c '^>> Filtering message' "$TMP/batch_pig_$CUR.out")
        [ "$got" -eq "$N" ] || log "  warning: sieve-filter $CUR saw $got messages, expected $N"
        record batch pigeonhole "$CUR" "batch_pig_$CUR"
    fi
done
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at end" >> "$WORK/environment.txt"

# --- report --------------------------------------------------------------------------
report() {
    cat "$WORK/environment.txt"
    awk -F'\t' -v k="$K" -v n="$N" '
        { key = $1 SUBSEP $2 SUBSEP $3; mn[key] = $4; md[key] = $5; mx[key] = $6
          if (!(($1 SUBSEP $3) in seen)) { seen[$1 SUBSEP $3] = 1; order[$1, ++cnt[$1]] = $3 } }
        function cell(sec, tool, s,   key) {
            key = sec SUBSEP tool SUBSEP s
            if (!(key in md)) return sprintf("%-27s", "-")
            return sprintf("%9.3f [%7.3f-%7.3f]", md[key], mn[key], mx[key])
        }
        function ratio(sec, s,   a, b) {
            a = md[sec, "sift", s]; b = md[sec, "pigeonhole", s]
            if (a == "" || b == "" || a == 0) return "-"
            return sprintf("%.1fx", b / a)
        }
        function section(sec, title, what,   i, s) {
            if (cnt[sec] == 0) return
            print ""; print title
            printf "  %-8s %-27s %-27s %s\n", "script", "sift " what, "Pigeonhole " what, "sift faster by"
            for (i = 1; i <= cnt[sec]; i++) {
                s = order[sec, i]
                printf "  %-8s %s %s %s\n", s, cell(sec, "sift", s), cell(sec, "pigeonhole", s), ratio(sec, s)
            }
        }
        END {
            section("compile", "Compile, one process per script (sievec; Pigeonhole: sievec -c dovecot.conf)", "ms")
            print ""
            print "One process per message, binary precompiled, " k " messages spread over the size ranking"
            print "(sift: sieve-test -f FROM -a TO X.svbin MSG; Pigeonhole: sieve-test -c conf -f FROM -r TO X.sieve MSG)"
            printf "  %-8s %-27s %-27s %s\n", "script", "sift ms/msg", "Pigeonhole ms/msg", "sift faster by"
            printf "  %-8s %s\n", "/bin/true", cell("permsg", "/bin/true", "-")
            for (i = 1; i <= cnt["permsg"]; i++) {
                s = order["permsg", i]; if (s == "-") continue
                printf "  %-8s %s %s %s\n", s, cell("permsg", "sift", s), cell("permsg", "pigeonhole", s), ratio("permsg", s)
            }
            print "  (ms/msg: a whole pass over the sample divided by " k "; median [min-max] of the passes)"
            section("batch", "Whole Maildir (" n " messages) in one process (sift: sieve-test --batch; Pigeonhole: sieve-filter, dry run)", "ms")

            print ""
            print "Targets"
            tgt("compile large: Pigeonhole sievec / sift sievec", md["compile", "pigeonhole", "large"], md["compile", "sift", "large"], 5, ">=")
            tgt("per message (medium): sift / bare /bin/true", md["permsg", "sift", "medium"], md["permsg", "/bin/true", "-"], 1.5, "<=")
            tgt("batch medium: sieve-filter / sift --batch", md["batch", "pigeonhole", "medium"], md["batch", "sift", "medium"], 9, ">=")
            tgt("batch large: sieve-filter / sift --batch", md["batch", "pigeonhole", "large"], md["batch", "sift", "large"], 20, ">=")
        }
        function tgt(what, a, b, want, op,   r, ok) {
            if (a == "" || b == "" || b == 0) { printf "  %-50s %8s   (target %s %.1fx)  n/a\n", what, "-", op, want; return }
            r = a / b
            ok = (op == ">=") ? (r >= want) : (r <= want)
            printf "  %-50s %7.2fx   (target %s %.1fx)  %s\n", what, r, op, want, ok ? "met" : "NOT MET"
        }
    ' "$RES"
    echo
    echo "Wall time per process from bash \$EPOCHREALTIME, fork/exec/wait included;"
    echo "median [min-max] of $RUNS runs after 1 warm-up. Raw timings (us) in $TMP."
}
report | tee "$WORK/results.txt"
log "bench: results in $WORK/results.txt"
