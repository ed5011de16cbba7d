# variables-demo.sieve -- tour of the RFC 5229 "variables" extension
#
# Builds folder names from parts of the message:
#   * mail from a person is filed by the sender's domain, e.g.
#     From: dmitri@Example.NET  ->  "People/example.net"
#   * the tag of a bracketed subject ("[BUILD] nightly failed") becomes
#     the folder "Tags/Build"
#   * a resent message whose X-Original-Subject equals its Subject goes to
#     "Resent"; the subject is quoted with :quotewildcard first so that
#     "*" or "?" in it are taken literally
#   * very short subjects (under 4 characters) get their own sub-folder
#
# Shows (RFC 5229):
#   sec. 3    ${name} references and ${1}..${9} match variables
#   sec. 4    set with modifiers :lower :upper :lowerfirst :upperfirst
#             :quotewildcard :length, and their precedence (:lower
#             and :upperfirst may be combined)
#   sec. 5    string test, with :count on a string list (RFC 5231)
#   sec. 3.2  ${0} holds the whole matched value

require ["variables", "fileinto", "relational",
         "comparator-i;ascii-numeric"];

# Variable names are case-insensitive ("user" and "USER" are the same
# variable), so the variants get distinct names.
set "user" "alice";
set :upper "user_uc" "${user}";            # "ALICE"
set :upperfirst "user_cap" "${user}";      # "Alice"
set :lowerfirst "user_odd" "${user_uc}";   # "aLICE"

# Remember the subject and its length in characters (:length).
if header :matches "subject" "*" {
    set "subject" "${0}";
    set :length "len" "${subject}";
}

if header :matches "subject" "[*]*" {
    set :lower :upperfirst "tag" "${1}";     # "[BUILD] x" -> "Build"
    fileinto "Tags/${tag}";
    stop;
}

if address :domain :matches "from" "*" {
    set :lower "dom" "${1}";
}

# A subject like "50% off *everything*" contains "*"; quote it so it
# can be used as a literal :matches pattern (e.g. for another header).
set :quotewildcard "literal" "${subject}";
if header :matches "x-original-subject" "${literal}" {
    fileinto "Resent";
    stop;
}

# string with :count: how many of these values are non-empty?
if string :count "ge" :comparator "i;ascii-numeric" ["${dom}", "${len}"] "2" {
    if string :value "lt" :comparator "i;ascii-numeric" "${len}" "4" {
        fileinto "People/${dom}/short-subjects";
    } else {
        fileinto "People/${dom}";
    }
}
