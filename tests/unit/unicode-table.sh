#!/bin/sh
# unicode-table.sh: the committed table of i;unicode-casemap
# (src/lib/unicode-casemap-table.c) is what scripts/gen-unicode-casemap.py
# makes from this machine's UnicodeData.txt (Debian: unicode-data).
# SKIP (77) without the file or python3, or when the file is of another
# Unicode version than the table: then the note says which, and
# regenerating the table is a choice to make, not a fault.
srcdir=${srcdir:-.}
data=${UNICODE_DATA:-/usr/share/unicode/UnicodeData.txt}
table="$srcdir/src/lib/unicode-casemap-table.c"
gen="$srcdir/scripts/gen-unicode-casemap.py"
if [ ! -r "$data" ]; then
	echo "SKIP: no $data (install unicode-data)"
	exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: no python3"
	exit 77
fi
tmp=$(mktemp) || exit 99
trap 'rm -f "$tmp"' EXIT
python3 "$gen" "$data" >"$tmp" || { echo "FAIL: the generator failed"; exit 1; }
have=$(sed -n 's/^const char sv_ucm_unicode_version\[\] = "\(.*\)";$/\1/p' "$table")
made=$(sed -n 's/^const char sv_ucm_unicode_version\[\] = "\(.*\)";$/\1/p' "$tmp")
echo "table: Unicode $have; $data: Unicode $made"
if [ "$have" != "$made" ]; then
	echo "SKIP: other Unicode versions (run $gen $data > $table to move to $made)"
	exit 77
fi
if ! cmp -s "$tmp" "$table"; then
	echo "FAIL: $table differs from what $gen makes:"
	diff "$table" "$tmp" | head -20
	exit 1
fi
echo "PASS: the table is the generator's output"
