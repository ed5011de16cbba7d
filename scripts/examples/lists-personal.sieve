# lists-personal.sieve -- a user's filter on top of the shared list filter
#
# The admin keeps the rules that recognise mailing lists in one global
# script (global/mailing-lists.sieve, installed in sift.conf's
# sieve-global folder). Dave includes it and decides what happens with
# each list: announcements are read elsewhere and marked read, the lists
# he follows closely stay in the INBOX flagged, everything else goes to
# a folder of its own under "Lists", created on first use.
#
# Shows:
#   RFC 6609  include :global, global variables
#   RFC 5490  fileinto :create (mailbox)
#   RFC 5232  :flags, addflag
#   RFC 5229  string test on variables

require ["include", "variables", "fileinto", "mailbox", "imap4flags"];

global "list";
include :global "mailing-lists";

if string :is "${list}" "" {
    # not list mail: the rest of the personal rules would go here
    stop;
}

if string :is "${list}" ["announce", "security-announce"] {
    fileinto :create :flags "\\Seen" "Lists/Announcements";
    stop;
}

if string :is "${list}" ["sift-dev", "sieve"] {
    addflag "\\Flagged";
    stop;
}

fileinto :create "Lists/${list}";
