#!/usr/bin/env bash
# differential-ext.sh: black-box comparison of sift's extensions with Dovecot
# Pigeonhole's on small scripts and messages written for the corner cases
# where engines may differ (editheader, date, index, vacation, reject,
# duplicate, spamtest/virustest, ihave, include, mailbox, metadata, enotify).
#
#   differential-ext.sh [-w WORK] [-u USER] [CASE...]
#
# The cases are tests/bench/differential-ext/cases.txt, the messages
# messages.txt beside it; differences already explained (who is right and
# why) are listed in known.txt and tests/bench/DIFFERENCES.md. Each case
# prints SAME, KNOWN or DIFF with both engines' normalised outcomes
# (VERBOSE=1 adds both raw outputs to each DIFF).
#
# Tools: SIFT_TEST (sift's sieve-test; default ./sieve-test of a build
# folder), PIG_SIEVE_TEST (Pigeonhole's; default sieve-test on PATH).
# Pigeonhole will not run as root: as root, its sieve-test runs as USER
# (default nobody) through su.
# Exit status: 0 when every difference is known, 1 otherwise, 2 on usage
# or setup errors, 77 (skipped) when Pigeonhole or python3 is missing.

set -u
export LC_ALL=C.UTF-8

HERE=$(cd "$(dirname "$0")" && pwd)
WORK=""
AS_USER=nobody

usage() {
    sed -n '2,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//'
}

while getopts "w:u:h" opt; do
    case $opt in
        w) WORK=$OPTARG ;;
        u) AS_USER=$OPTARG ;;
        h) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))

if [ -z "${SIFT_TEST:-}" ]; then
    if [ -x ./sieve-test ] && grep -q sift ./sieve-test 2>/dev/null; then
        SIFT_TEST=$(readlink -f ./sieve-test)
    else
        echo "differential-ext: set SIFT_TEST to sift's sieve-test" >&2
        exit 2
    fi
fi
: "${PIG_SIEVE_TEST:=$(command -v sieve-test || true)}"
# Pigeonhole's sieve-test answers any unknown option with its usage line.
if [ -z "$PIG_SIEVE_TEST" ] || ! "$PIG_SIEVE_TEST" -h 2>&1 | grep -q 'config-file'; then
    echo "SKIP: Pigeonhole's sieve-test not found (set PIG_SIEVE_TEST)"
    exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
[ "$(id -u)" -eq 0 ] || AS_USER=""

if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/sift-diff-ext.XXXXXX") || exit 2
    trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK/mail" || exit 2
WORK=$(readlink -f "$WORK")
chmod 755 "$WORK"

# The settings both engines get: sift reads Pigeonhole's names with -o,
# Pigeonhole reads them from this file.
cat >"$WORK/dovecot.conf" <<EOF
mail_location = maildir:$WORK/mail
plugin {
  sieve_extensions = +editheader +vacation-seconds +spamtest +spamtestplus +virustest +mboxmetadata +servermetadata
  sieve_spamtest_status_type = score
  sieve_spamtest_status_header = X-Spam-Score
  sieve_spamtest_max_value = 10
  sieve_virustest_status_type = score
  sieve_virustest_status_header = X-Virus-Scan
  sieve_virustest_max_value = 5
}
EOF
SIFT="$SIFT_TEST -o sieve_spamtest_status_type=score -o sieve_spamtest_status_header=X-Spam-Score"
SIFT="$SIFT -o sieve_spamtest_max_value=10 -o sieve_virustest_status_type=score"
SIFT="$SIFT -o sieve_virustest_status_header=X-Virus-Scan -o sieve_virustest_max_value=5"

python3 "$HERE/differential-ext.py" "$WORK" "$SIFT" "$PIG_SIEVE_TEST" \
    "$WORK/dovecot.conf" "$AS_USER" "$@"
