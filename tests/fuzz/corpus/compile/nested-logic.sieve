# nested-logic.sieve -- combining tests with allof, anyof and not
#
# A conference-planning rule that reads like a sentence:
#   file into "Conference" if
#     (it comes from the organisers OR mentions SiftConf in the subject)
#     AND NOT (it is an automated reminder AND Alice is only in Cc)
#   and flag it if it is from the organisers AND about the schedule OR
#   the venue.
#
# Shows (RFC 5228):
#   sec. 5.2  allof   (logical AND, zero-argument form not used)
#   sec. 5.3  anyof   (logical OR)
#   sec. 5.8  not
#   sec. 5.6  false, sec. 5.10 true
#   nesting to arbitrary depth
# plus RFC 5232 addflag and RFC 5228 fileinto.

require ["fileinto", "imap4flags"];

if allof (anyof (address :domain :is "from" "siftconf.example.org",
                 header :contains "subject" "SiftConf"),
          not allof (header :contains "subject" "reminder",
                     not address :is "to" "alice@example.org",
                     address :is "cc" "alice@example.org")) {

    if allof (address :domain :is "from" "siftconf.example.org",
              anyof (header :contains "subject" "schedule",
                     header :contains "subject" "venue")) {
        addflag "\\Flagged";
    }

    fileinto "Conference";
}

# Constant tests, handy when commenting rules in and out.
if false {
    discard;
}
if allof (true, not false) {
    # both conditions hold: nothing happens here, implicit keep applies
    # to everything not filed above
}
