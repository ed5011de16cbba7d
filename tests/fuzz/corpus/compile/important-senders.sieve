# important-senders.sieve -- make mail from key people stand out
#
# Mail from Alice's manager and her accountant is flagged; mail from the
# manager that is also marked urgent gets an extra $Urgent keyword. If
# a later rule decides the message was only a copy of a notification,
# the \Flagged flag is taken away again.
#
# Shows (RFC 5232):
#   sec. 3.2  addflag to the internal flags variable
#   sec. 3.3  removeflag
#   sec. 4    hasflag test
#   sec. 5    the implicit keep stores the current flags
# plus RFC 5228 address :is with a string list.

require ["imap4flags"];

if address :is "from" ["grace.hopper@corp.example.com",
                       "accounts@taxhelp.example.net"] {
    addflag "\\Flagged";

    if anyof (header :is "Importance" "high",
              header :is "X-Priority" ["1", "1 (Highest)"]) {
        addflag "$Urgent";
    }
}

# Automatic copies sent "on behalf of" the manager are not that
# important after all.
if allof (hasflag "\\Flagged",
          header :contains "subject" "[auto]") {
    removeflag "\\Flagged";
}
