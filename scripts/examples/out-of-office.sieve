# out-of-office.sieve -- an automatic reply while away, the way people use it
#
# From the 20th of December to the 4th of January Carol answers personal
# mail once a week per sender with a short note. Mail from lists, robots
# and bulk senders never gets a reply (RFC 5230 sec. 4.5 already refuses
# those; the script also keeps them out of the way). The reply names the
# original subject, and mail that arrives during the holiday is filed
# under "Holiday" so it is easy to go through on return.
#
# Shows:
#   RFC 5230           vacation :days :subject :from :addresses :handle
#   RFC 5260 sec. 5    currentdate with a date part and a relational test
#   RFC 5229           variables, match variables from :matches
#   RFC 5231           :value "ge"/"le" on ISO dates
#   RFC 3894           fileinto :copy

require ["vacation", "date", "relational", "variables", "fileinto", "copy"];

if allof (currentdate :value "ge" "date" "2026-12-20",
          currentdate :value "le" "date" "2027-01-04") {
    # Not for automated mail: it is filed, no reply.
    if anyof (exists "list-id",
              header :is "precedence" ["bulk", "list", "junk"]) {
        fileinto "Holiday/Lists";
        stop;
    }

    set "subject" "";
    if header :matches "subject" "*" {
        set "subject" "${1}";
    }

    vacation :days 7
             :subject "Away until 5 January: ${subject}"
             :from "carol@example.org"
             :addresses ["carol@example.org", "c.jones@example.org"]
             :handle "holiday-2026"
"Hello,

I am away until the 5th of January and read no mail until then.
For anything urgent please write to the office: office@example.org.

Carol";

    fileinto :copy "Holiday";
}
