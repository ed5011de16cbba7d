#!/usr/bin/env bash
# memory.sh: peak resident memory of one delivery, for "make bench"
# (tests/bench/bench.mk): sift's installed sieve-test runs a header script
# and body :text, :raw and :content "text" scripts on generated 1 MB and
# 100 MB messages (a plain UTF-8 text part, a base64 text part, a
# quoted-printable Latin-1 text part, many 4 KiB text parts) and prints the
# peak RSS of each run in MiB.
#
# The messages are generated here, one at a time, in a temporary folder and
# removed after use; none is ever stored in the tree. Peak RSS comes from
# /usr/bin/time -f %M when installed, else from getrusage(RUSAGE_CHILDREN)
# in a python3 wrapper. Environment:
#
#   SIFT_BIN   folder with the installed sieve-test (required)
#   SIFT_LIB   folder with the installed libsift (put on LD_LIBRARY_PATH)
#   SIZES      message sizes in MiB (default "1 100")
#   KINDS      message kinds (default "plain base64 qp parts")
#   WORK       work folder (default: a new one under ${TMPDIR:-/tmp})
#
# What to expect (src/mail/mime.c): the message is read once; :raw and
# header tests add nothing; a text part that needs no decoding is matched
# in place; a decoded part exists while it is matched (for one huge
# encoded part that is the part's decoded size), and small decoded parts
# share a 1 MiB cache.

set -u
export LC_ALL=C
: "${SIFT_BIN:=}" "${SIFT_LIB:=}" "${SIZES:=1 100}" "${KINDS:=plain base64 qp parts}" "${WORK:=}"

die() { printf 'bench-memory: %s\n' "$*" >&2; exit 2; }
[ -n "$SIFT_BIN" ] || die "SIFT_BIN (folder of the installed sieve-test) not set"
ST=$(readlink -f "$SIFT_BIN/sieve-test")
[ -x "$ST" ] || die "no sieve-test in $SIFT_BIN"
if [ -n "$SIFT_LIB" ]; then
    export LD_LIBRARY_PATH="$(readlink -f "$SIFT_LIB")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
command -v python3 > /dev/null || die "python3 is needed to generate the messages"
own_work=
if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/sift-bench-memory.XXXXXX") || exit 2
    own_work=1
fi
mkdir -p "$WORK" || exit 2
cleanup() {
    rm -f "$WORK"/mem-*.eml "$WORK"/mem-*.sieve "$WORK/mem-rss"
    [ -n "$own_work" ] && rmdir "$WORK" 2> /dev/null
}
trap cleanup EXIT HUP INT TERM

SCRIPTS="header text raw content"
printf 'if header :contains "subject" "no-such-needle" { discard; }\n' > "$WORK/mem-header.sieve"
printf 'require "body";\nif body :text :contains "no-such-needle" { discard; }\n' > "$WORK/mem-text.sieve"
printf 'require "body";\nif body :raw :contains "no-such-needle" { discard; }\n' > "$WORK/mem-raw.sieve"
printf 'require "body";\nif body :content "text" :contains "no-such-needle" { discard; }\n' \
    > "$WORK/mem-content.sieve"

# gen KIND BYTES FILE: a message of about BYTES bytes
gen() {
    python3 - "$@" << 'PY'
import base64, quopri, sys
kind, size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
line = "The quick brown fox jumps over the lazy dog, café 0123456789 lorem\n".encode()
def text(n):
    return (line * (n // len(line) + 1))[:n]
hdr = b"From: a@example.com\nTo: b@example.org\nSubject: big\nMIME-Version: 1.0\n"
with open(out, "wb") as f:
    if kind == "plain":
        f.write(hdr + b"Content-Type: text/plain; charset=utf-8\n\n" + text(size))
    elif kind == "base64":
        f.write(hdr + b"Content-Type: text/plain; charset=utf-8\n"
                b"Content-Transfer-Encoding: base64\n\n")
        f.write(base64.encodebytes(text(size * 3 // 4)))
    elif kind == "qp":
        f.write(hdr + b"Content-Type: text/plain; charset=iso-8859-1\n"
                b"Content-Transfer-Encoding: quoted-printable\n\n")
        f.write(quopri.encodestring(text(size).replace("é".encode(), b"\xe9")))
    elif kind == "parts":
        f.write(hdr + b"Content-Type: multipart/mixed; boundary=BB\n\n")
        for _ in range(max(1, size // (4096 + 50))):
            f.write(b"--BB\nContent-Type: text/plain; charset=utf-8\n\n" + text(4096) + b"\n")
        f.write(b"--BB--\n")
    else:
        sys.exit("unknown kind " + kind)
PY
}

# peak_kib CMD...: the peak RSS of CMD in KiB
if [ -x /usr/bin/time ]; then
    peak_kib() {
        /usr/bin/time -o "$WORK/mem-rss" -f '%M' "$@" > /dev/null 2>&1
        tail -n 1 "$WORK/mem-rss"
    }
else
    peak_kib() {
        python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
    }
fi

echo "Peak RSS of one sieve-test run, MiB ($ST)"
echo "(header: header :contains; text: body :text; raw: body :raw; content: body :content \"text\")"
printf '  %-8s %8s' message "size"
for s in $SCRIPTS; do printf ' %8s' "$s"; done
echo
for mib in $SIZES; do
    for k in $KINDS; do
        f="$WORK/mem-$k-$mib.eml"
        gen "$k" $((mib * 1024 * 1024)) "$f" || die "generating $f failed"
        bytes=$(wc -c < "$f")
        printf '  %-8s %8.1f' "$k" "$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')"
        for s in $SCRIPTS; do
            kib=$(peak_kib "$ST" "$WORK/mem-$s.sieve" "$f")
            printf ' %8.1f' "$(awk -v k="${kib:-0}" 'BEGIN { print k / 1024 }')"
        done
        echo
        rm -f "$f"
    done
done
