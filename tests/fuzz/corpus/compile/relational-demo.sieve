# relational-demo.sieve -- the RFC 5231 relational extension
#
#   * X-Priority 1 or 2 (numeric "le 2")      -> flagged
#   * a Received chain of 10 or more hops      -> "Suspicious/Relayed"
#   * no To/Cc recipients at all (count = 0)   -> "Bcc"
#   * subjects starting with the letter A or a (":value ge a" and
#     ":value lt b" with i;ascii-casemap) land in "A-Subjects" -- a
#     deliberately odd rule showing that :value also works on text.
#     Both bounds are letters on purpose: RFC 4790 defines
#     i;ascii-casemap ordering on upper-cased strings, so characters
#     such as "[" or "_" (which sit between "Z" and "a") sort after
#     "B"; an implementation that folds to lower case instead would
#     put them before "b". Comparing letters only avoids the question.
#
# Shows (RFC 5231):
#   sec. 4.1  :value with "le" "lt" and "ge"; numeric comparison needs
#             "comparator-i;ascii-numeric"
#   sec. 4.2  :count on header fields (number of Received fields) and
#             on addresses (number of To and Cc addresses)
#   sec. 5    relational operators gt ge lt le eq ne

require ["relational", "comparator-i;ascii-numeric", "fileinto",
         "imap4flags"];

if header :value "le" :comparator "i;ascii-numeric" "X-Priority" "2" {
    addflag "\\Flagged";
}

if header :count "ge" :comparator "i;ascii-numeric" "received" "10" {
    fileinto "Suspicious/Relayed";
    stop;
}

if address :count "eq" :comparator "i;ascii-numeric" ["to", "cc"] "0" {
    fileinto "Bcc";
    stop;
}

if allof (header :value "ge" :comparator "i;ascii-casemap" "subject" "a",
          header :value "lt" :comparator "i;ascii-casemap" "subject" "b") {
    fileinto "A-Subjects";
}
