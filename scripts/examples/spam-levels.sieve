# spam-levels.sieve -- file by the spam and virus scanners' verdicts
#
# The admin configures which header the scanner writes (sift.conf:
# spamtest-status-header, virustest-status-header, see sift.conf(5)); the
# script only deals with the normalised levels of RFC 5235:
#   spamtest    0 = not scanned, 1 = clean ... 10 = certainly spam
#   :percent    0 ... 100 (spamtestplus)
#   virustest   0 = not scanned, 1 = clean ... 5 = infected
#
#   * infected (virustest >= 4)            -> "Quarantine", read
#   * spam level 9 or more                 -> thrown away
#   * spam >= 60 %                         -> "Junk"
#   * not scanned at all                   -> kept, flagged $Unscanned
#
# Shows:
#   RFC 5235 sec. 3.2  spamtest, sec. 3.3 virustest, spamtestplus :percent
#   RFC 5231           :value "ge", :value "eq"
#   RFC 5232           :flags, addflag

require ["spamtest", "spamtestplus", "virustest", "relational",
         "comparator-i;ascii-numeric", "fileinto", "imap4flags"];

if virustest :value "ge" :comparator "i;ascii-numeric" "4" {
    fileinto :flags "\\Seen" "Quarantine";
    stop;
}

if spamtest :value "ge" :comparator "i;ascii-numeric" "9" {
    discard;
    stop;
}

if spamtest :percent :value "ge" :comparator "i;ascii-numeric" "60" {
    fileinto "Junk";
    stop;
}

if spamtest :value "eq" :comparator "i;ascii-numeric" "0" {
    addflag "$Unscanned";
}
