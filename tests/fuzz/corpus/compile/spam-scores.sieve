# spam-scores.sieve -- act on the verdict of an upstream spam scanner
#
# The scanner adds "X-Spam-Flag: YES" and a numeric "X-Spam-Score".
#   * score >= 15            -> thrown away
#   * flagged or score >= 5  -> "Junk", marked as read
#   * score >= 3             -> kept, but tagged with the $MaybeSpam keyword
#
# Shows:
#   RFC 5231   relational :value "ge" with comparator i;ascii-numeric
#   RFC 5232   :flags on fileinto, addflag with the implicit keep
#   RFC 5228   sec. 2.7.1 comparators, sec. 5.7 header
#
# Caveat: i;ascii-numeric (RFC 4790 sec. 9.1) reads only the leading
# digits, so "12.3" compares as 12 and "4.9" as 4. A value that does not
# start with a digit (e.g. "-1.5") counts as positive infinity, so
# negative scores are excluded with :matches "-*" first.

require ["fileinto", "relational", "comparator-i;ascii-numeric",
         "imap4flags"];

if header :matches "X-Spam-Score" "-*" {
    # negative score: certainly not spam
    stop;
}

if header :value "ge" :comparator "i;ascii-numeric" "X-Spam-Score" "15" {
    discard;
    stop;
}

if anyof (header :is :comparator "i;ascii-casemap" "X-Spam-Flag" "yes",
          header :value "ge" :comparator "i;ascii-numeric"
                 "X-Spam-Score" "5") {
    fileinto :flags "\\Seen" "Junk";
    stop;
}

if header :value "ge" :comparator "i;ascii-numeric" "X-Spam-Score" "3" {
    addflag "$MaybeSpam";
}
