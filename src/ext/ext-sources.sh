#!/bin/sh
# ext-sources.sh LIST: the automake fragment that builds every extension
# ext-list.def names, one source file each: SV_EXT(sv_ext_NAME_def) is
# src/ext/NAME.c with '_' written '-' (sv_ext_encoded_character_def is
# src/ext/encoded-character.c). src/ext/local.mk includes the fragment
# (src/ext/ext-sources.mk) and remakes it when the list changes, so a new
# extension is its file, its line in the list and its tests. Files an
# extension has beside its main one are listed in local.mk by hand.
set -eu
list=${1:?usage: ext-sources.sh ext-list.def}
echo "## Generated from src/ext/ext-list.def by src/ext/ext-sources.sh: do not edit."
printf 'libsiftcore_la_SOURCES +='
sed -n 's/^SV_EXT(sv_ext_\([a-z0-9_]*\)_def).*/\1/p' "$list" |
	tr '_' '-' |
	while read -r name; do
		printf ' \\\n\tsrc/ext/%s.c' "$name"
	done
printf '\n'
