# out-of-office-folder.sieve -- holiday mode without auto-replies
#
# While Alice is away (the switch below is set to "on"), direct
# personal mail is collected in "Away" so it is easy to find later,
# anything urgent from work is forwarded to her deputy (with a copy
# kept), and automated mail is filed away read. No vacation extension
# is used: nobody gets an automatic reply.
#
# Shows:
#   RFC 5229 sec. 3    set, variables as a configuration switch
#   RFC 5229 sec. 5    string test
#   RFC 3894           redirect :copy
#   RFC 5232           :flags on fileinto
#   RFC 5228 sec. 5.5  exists, sec. 5.8 not, sec. 5.2 allof
#
# To leave holiday mode, change "on" to "off".

require ["variables", "fileinto", "copy", "imap4flags"];

set "away" "on";
set "deputy" "bob.keller@corp.example.com";

if string :is "${away}" "on" {
    # Automated mail: RFC 3834 Auto-Submitted other than "no",
    # or classic Precedence values.
    if anyof (allof (exists "auto-submitted",
                     not header :is "auto-submitted" "no"),
              header :is "precedence" ["bulk", "list", "junk"]) {
        fileinto :flags "\\Seen" "Away/Automated";
        stop;
    }

    if allof (address :domain :is "from" "corp.example.com",
              anyof (header :is "X-Priority" "1",
                     header :is "Importance" "high",
                     header :contains "subject" "urgent")) {
        redirect :copy "${deputy}";
    }

    fileinto "Away";
}
