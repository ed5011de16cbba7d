#!/bin/sh
# ext-sources.sh: src/ext/ext-sources.mk is what src/ext/ext-sources.sh
# makes of ext-list.def (the build remakes it when the list changes; a
# stale copy would leave a new extension out of the build), and every
# extension the list names has its source file.
srcdir=${srcdir:-$(dirname "$0")/../..}
want=$(sh "$srcdir/src/ext/ext-sources.sh" "$srcdir/src/ext/ext-list.def") || exit 99
if [ "$want" != "$(cat "$srcdir/src/ext/ext-sources.mk")" ]; then
	echo "FAIL: src/ext/ext-sources.mk is stale; make remakes it from ext-list.def"
	exit 1
fi
rc=0
for f in $(echo "$want" | sed -n 's|^[[:space:]]*\(src/ext/[a-z0-9-]*\.c\).*|\1|p'); do
	if [ ! -f "$srcdir/$f" ]; then
		echo "FAIL: ext-list.def names an extension without $f"
		rc=1
	fi
done
[ $rc = 0 ] && echo "PASS: ext-sources.mk matches ext-list.def ($(echo "$want" | grep -c 'src/ext/') extensions)"
exit $rc
