#!/bin/sh
# demo.sh: deliver the sample mail for real. Each message of
# scripts/examples/messages goes through sieve-deliver, with the envelope
# listed in messages/README, the way an MTA would hand it over; the user's
# active script is scripts/examples/demo.sieve; mail lands in ./demo/Maildir
# and what would have been sent (redirect) in ./demo/outbox. Prints where
# each message landed (messages/EXPECTED says where it should).
#
#   scripts/demo.sh BUILD_DIR      (./bootstrap demo runs it)
#
# As root the deliveries run as the system user sift-demo (created when
# missing), as sieve-deliver requires; otherwise as the calling user.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$top/build-plain}" && pwd)
msgs=$top/scripts/examples/messages
d=$top/demo
lda=$bin/sieve-deliver
[ -x "$lda" ] || { echo "demo: $lda is not built" >&2; exit 1; }

rm -rf "$d"
mkdir -p "$d"
# where the user's home is: ./demo/home, unless the demo user cannot reach
# it (a checkout under /root); then a private folder, copied back at the end
base=$d
user_opt=
if [ "$(id -u)" = 0 ]; then
	if ! id sift-demo > /dev/null 2>&1; then
		useradd --system --no-create-home --home-dir "$d/home" \
			--shell /usr/sbin/nologin sift-demo
	fi
	user_opt="-d sift-demo"
	if ! runuser -u sift-demo -- test -x "$d" 2> /dev/null; then
		base=/var/tmp/sift-demo
		rm -rf "$base"
		mkdir -p "$base"
	fi
	usermod --home "$base/home" sift-demo > /dev/null 2>&1 || true
fi
home=$base/home
mkdir -p "$home/sieve" "$base/outbox"
cp "$top/scripts/examples/demo.sieve" "$home/sieve/demo.sieve"
ln -s sieve/demo.sieve "$home/.sieve"
cat > "$base/sendmail" << EOF
#!/bin/sh
# the demo's sendmail: what would be sent is kept in outbox/
n=\$(ls "$base/outbox" | wc -l)
{ printf 'X-Demo-Envelope: %s\n' "\$*"; cat; } > "$base/outbox/\$((n + 1)).eml"
EOF
chmod 755 "$base/sendmail"
cat > "$base/sift.conf" << EOF
# sift.conf of the demo (sift.conf(5))
mail-location = maildir:$base/Maildir
sieve-active = ~/.sieve
sendmail = $base/sendmail
log = none
EOF
[ "$(id -u)" = 0 ] && chown -R sift-demo: "$base"

# "where a message landed": the folders of files that appeared, with flags
landed() {
	comm -13 "$1" "$2" | while read -r f; do
		folder=${f%/*}
		folder=${folder%/new}
		folder=${folder%/cur}
		folder=${folder#Maildir}
		folder=${folder#/.}
		[ -n "$folder" ] || folder=INBOX
		case $f in
		*:2,?*)
			# system flags as Maildir letters; keywords (a-z) by name
			# through the folder's dovecot-keywords
			kw=$base/${f%/*}/../dovecot-keywords
			fl=$(echo "${f##*:2,}" | fold -w1 | while read -r c; do
				case $c in
				[a-z])
					n=$(($(printf '%d' "'$c") - 97))
					sed -n "s/^$n //p" "$kw" 2> /dev/null ;;
				*) echo "$c" ;;
				esac
			done | paste -sd' ' -)
			printf '%s[%s] ' "$folder" "$fl" ;;
		*) printf '%s ' "$folder" ;;
		esac
	done
}

echo "== sift demo: sieve-deliver files the mail of scripts/examples/messages"
echo "   through scripts/examples/demo.sieve into ./demo/Maildir"
list() { (cd "$base" && find Maildir -type f \( -path '*/new/*' -o -path '*/cur/*' \) 2> /dev/null | sort); }
list > "$base/before"
sent=0
bad=0
for m in "$msgs"/[0-9]*.eml; do
	name=${m##*/}
	line=$(grep "^$name " "$msgs/README")
	from=$(echo "$line" | sed 's/.* -f \([^ ]*\).*/\1/')
	to=$(echo "$line" | sed 's/.* -a \([^ ]*\).*/\1/')
	set +e
	# shellcheck disable=SC2086
	out=$("$lda" $user_opt -c "$base/sift.conf" -f "$from" -a "$to" < "$m" 2>&1)
	rc=$?
	set -e
	list > "$base/after"
	where=$(landed "$base/before" "$base/after")
	mv "$base/after" "$base/before"
	now=$(ls "$base/outbox" | wc -l)
	if [ "$now" -gt "$sent" ]; then
		rcpt=$(sed -n '1s/.* -- //p' "$base/outbox/$now.eml")
		where="${where}sent to $rcpt "
		sent=$now
	fi
	[ -n "$where" ] || where="(discarded) "
	[ "$rc" = 0 ] || { where="${where}exit $rc: $out"; bad=$((bad + 1)); }
	printf '  %-26s -> %s\n' "$name" "$where"
done
if [ "$base" != "$d" ]; then
	cp -R "$base/Maildir" "$base/outbox" "$d/"
fi
echo "   $(find "$d/Maildir/" -type f \( -path '*/new/*' -o -path '*/cur/*' \) | wc -l) messages in ./demo/Maildir, $sent in ./demo/outbox"
[ "$bad" = 0 ]
