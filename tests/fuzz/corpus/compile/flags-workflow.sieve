# flags-workflow.sieve -- IMAP flags as a tiny workflow engine
#
# Every message starts with a clean flag set. Depending on content it
# collects keywords; at the end the flag set decides the folder:
#   * $Bill and \Flagged  -> "ToPay" (bills from the bank are urgent)
#   * only $Bill          -> "Bills", marked read
#   * anything else keeps its flags and stays in INBOX (implicit keep)
#
# Shows (RFC 5232):
#   sec. 3.1  setflag   - replace the whole flag list
#   sec. 3.2  addflag   - add flags (duplicates are merged)
#   sec. 3.3  removeflag
#   sec. 4    hasflag test, with and without a variable name
#   sec. 5    :flags argument on fileinto overrides the internal flags
#   sec. 3    flags held in a user variable (needs "variables")

require ["imap4flags", "variables", "fileinto"];

setflag "";                                 # start empty

if header :contains "subject" ["bill", "invoice", "payment due"] {
    addflag "$Bill";
}

if address :domain :is "from" "bank.example.com" {
    addflag ["\\Flagged", "$Bill"];         # $Bill only appears once
}

# A separate flag list in a user variable, for the archive copy.
setflag "archiveflags" "\\Seen";
addflag "archiveflags" "$Archived";

if hasflag :is "$Bill" {
    if hasflag :is "\\Flagged" {
        fileinto "ToPay";
    } else {
        fileinto :flags "${archiveflags}" "Bills";
    }
    stop;
}

# Newsletters are never important, whatever a previous rule said.
if exists "list-unsubscribe" {
    removeflag "\\Flagged";
}

if hasflag "archiveflags" "$Archived" {
    # always true here; shows hasflag on a named variable
    addflag "$Processed";
}
