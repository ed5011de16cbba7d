# comparators.sieve -- case-sensitive and case-insensitive matching
#
#   * "ALERT:" in capitals at the start of the subject is a real alert
#     from the monitoring system; "alert:" in other case is usually
#     humans quoting it -> only the exact form is flagged (i;octet)
#   * the tag "[sift]" in any case ("[SIFT]", "[Sift]") goes to
#     "Projects/sift" (i;ascii-casemap, the default)
#   * "X-Build-Number" compared numerically: builds from 1000 on go to
#     "Builds/new", older ones to "Builds/old" (i;ascii-numeric)
#
# Shows:
#   RFC 5228 sec. 2.7.3  :comparator, default is i;ascii-casemap
#   RFC 4790             i;octet, i;ascii-casemap, i;ascii-numeric
#   RFC 5231             :value for ordering comparisons
#   RFC 5232             addflag

require ["fileinto", "imap4flags", "relational",
         "comparator-i;ascii-numeric"];

if header :matches :comparator "i;octet" "subject" "ALERT:*" {
    addflag "\\Flagged";
}

if header :contains :comparator "i;ascii-casemap" "subject" "[sift]" {
    fileinto "Projects/sift";
    stop;
}

if exists "x-build-number" {
    if header :value "ge" :comparator "i;ascii-numeric"
              "x-build-number" "1000" {
        fileinto "Builds/new";
    } else {
        fileinto "Builds/old";
    }
}
