# list-sorting.sieve -- one folder per mailing list, no per-list rules
#
# A List-Id such as
#     List-Id: Sift development discussion <sift-dev.lists.example.net>
# is filed into "Lists/sift-dev". Lists without a List-Id but with a
# List-Post header ("<mailto:name@host>") are handled the same way.
#
# Shows:
#   RFC 5229 sec. 3.2  match variables ${1} ${2} set by :matches
#   RFC 5229 sec. 4    set :lower
#   RFC 5228 sec. 5.5  exists
#
# The pattern "*<*.lists.example.net>" anchors the list name between "<"
# and a fixed suffix, so the result does not depend on how greedy the
# wildcards are. For other list hosts the whole id between "<" and ">"
# is used, and for lists that only send List-Post the local part of the
# posting address.

require ["fileinto", "variables"];

if header :matches "List-Id" "*<*.lists.example.net>" {
    set :lower "list" "${2}";
    fileinto "Lists/${list}";
    stop;
}

if header :matches "List-Id" "*<*>" {
    # some other list host: use the whole id, dots and all
    set :lower "list" "${2}";
    fileinto "Lists/other/${list}";
    stop;
}

if allof (not exists "List-Id",
          header :matches "List-Post" "<mailto:*@*>") {
    set :lower "list" "${1}";
    fileinto "Lists/${list}";
    stop;
}
