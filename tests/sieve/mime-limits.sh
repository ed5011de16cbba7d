#!/bin/sh
# tests/sieve/mime-limits.sh: a payload hidden past the default MIME limits
# (max-mime-parts, max-mime-depth; src/mail/mime.c) is still found by body
# :text and :content "text" (RFC 5173 §5.2, §5.3): after 10,000 empty parts
# (as it stands and base64-encoded), under 1,000 levels of multipart, under
# 1,000 levels of message/rfc822.
# The messages are generated here (python3), never stored. make check runs
# it in the build folder; SIEVE_TEST names the program (default ./sieve-test).
st=${SIEVE_TEST:-./sieve-test}
command -v python3 >/dev/null 2>&1 || { echo "mime-limits.sh: no python3" >&2; exit 77; }
[ -x "$st" ] || { echo "mime-limits.sh: $st not found" >&2; exit 99; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sift-mime-limits.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

python3 - "$tmp" <<'PY' || exit 99
import sys
d = sys.argv[1]
def put(name, data):
    with open(d + "/" + name, "wb") as f:
        f.write(data)
put("parts.eml", b"Content-Type: multipart/mixed; boundary=XX\n\n"
    + b"".join(b"--XX\n\np%d\n" % i for i in range(10000))
    + b"--XX\nContent-Type: text/plain\n\nevil\n--XX--\n")
put("parts64.eml", b"Content-Type: multipart/mixed; boundary=XX\n\n"
    + b"".join(b"--XX\n\np%d\n" % i for i in range(10000))
    + b"--XX\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
    + b"ZXZpbAo=\n--XX--\n")
put("deep.eml", b"".join(b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i)
                         for i in range(1000))
    + b"Content-Type: text/plain\n\nevil\n"
    + b"".join(b"--b%d--\n" % i for i in reversed(range(1000))))
put("rfc822.eml", b"Subject: x\nContent-Type: message/rfc822\n\n" * 1000
    + b"Subject: y\nContent-Type: text/plain\n\nevil\n")
PY

printf 'require ["body", "fileinto"];\nif body :text :contains "evil" { fileinto "caught"; }\n' \
	>"$tmp/text.sieve"
printf 'require ["body", "fileinto"];\nif body :content "text" :contains "evil" { fileinto "caught"; }\n' \
	>"$tmp/content.sieve"

rc=0
for m in parts parts64 deep rfc822; do
	for s in text content; do
		if "$st" "$tmp/$s.sieve" "$tmp/$m.eml" >"$tmp/out" 2>&1 &&
			grep -q 'store message in folder: caught' "$tmp/out"; then
			echo "PASS: $m.eml with body :$s"
		else
			echo "FAIL: $m.eml with body :$s: payload not found"
			cat "$tmp/out"
			rc=1
		fi
	done
done
exit $rc
