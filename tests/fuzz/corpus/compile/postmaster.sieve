# postmaster.sieve -- script for the shared postmaster@example.org box
#
# The postmaster mailbox collects role mail. This script:
#   * files delivery failures, DMARC and TLS reports by type,
#   * forwards abuse complaints to the on-call admin and keeps a copy,
#   * files anything addressed to role accounts in their own folders,
#     using the recipient's local part as the folder name.
#
# Shows:
#   RFC 5228 sec. 5.4   envelope "from" :is "" -- null reverse-path (bounces)
#   RFC 5228 sec. 5.1   address :localpart
#   RFC 3894            redirect :copy
#   RFC 5229            set :lower, ${1} from a :regex group
#   draft-ietf-sieve-regex  :regex with alternation
#   RFC 5228 sec. 2.7.1 comparator "i;octet" (case-sensitive match)

require ["envelope", "fileinto", "copy", "variables", "regex"];

if anyof (envelope :is "from" "",
          address :localpart :is "from" ["MAILER-DAEMON", "postmaster"]) {
    fileinto "Bounces";
    stop;
}

# TLS-RPT reports (RFC 8460) carry their own header field.
if exists "TLS-Report-Domain" {
    fileinto "Reports/TLS";
    stop;
}

# DMARC aggregate reports use a fixed subject prefix. i;octet makes the
# comparison case-sensitive, so a human writing "report domain: ..."
# by hand does not end up in the reports folder.
if header :matches :comparator "i;octet" "subject" "Report Domain: *" {
    fileinto "Reports/DMARC";
    stop;
}

if address :localpart :is ["to", "cc"] "abuse" {
    redirect :copy "oncall-admin@example.net";
    fileinto "Abuse";
    stop;
}

# Role accounts: the regex group names the folder.
if address :localpart :regex ["to", "cc"]
           "^(hostmaster|webmaster|security|noc)$" {
    set :lower "role" "${1}";
    fileinto "Roles/${role}";
    stop;
}
