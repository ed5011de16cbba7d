# encoded-character.sieve -- writing awkward characters in scripts
#
# With "encoded-character" (RFC 5228 sec. 2.4.2.4) a string may contain
#   ${hex:XX XX ...}      octets given in hexadecimal
#   ${unicode:XXXX ...}   Unicode code points, stored as UTF-8
# This keeps scripts pure ASCII while matching non-ASCII text.
#
#   * subjects containing a heart (U+2764) or the German greeting
#     "Gr" U+00FC U+00DF "e" ("Gruesse")              -> "Greetings"
#   * a subject with a literal TAB character         -> flagged as odd
#   * "${hex:24}" is "$", so the junk pattern below is "$$$"
#
# Shows: RFC 5228 sec. 2.4.2.4 encoded-character, header :contains,
# RFC 5232 addflag.

require ["encoded-character", "fileinto", "imap4flags"];

if header :contains "subject" ["${unicode:2764}",
                               "Gr${unicode:fc df}e"] {
    fileinto "Greetings";
    stop;
}

if header :contains "subject" "${hex:09}" {
    addflag "$OddSubject";
}

if header :contains "subject" "${hex:24 24 24}" {
    discard;
}
