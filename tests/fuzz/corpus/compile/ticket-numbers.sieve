# ticket-numbers.sieve -- file helpdesk mail per ticket
#
# Subjects look like "Re: [ticket #4711] VPN connection drops".
# Each ticket gets its own folder Work/Tickets/4711; replies from the
# helpdesk that carry no ticket number go to Work/Tickets/unsorted.
#
# Shows:
#   draft-ietf-sieve-regex  :regex with a POSIX extended expression;
#                           the parenthesised group becomes ${1}
#                           (no back-references are used or needed)
#   RFC 5229                set, ${n} match variables, :length
#   RFC 5229 sec. 5         string test
#   RFC 5232                :flags on fileinto built from a variable

require ["regex", "variables", "fileinto", "imap4flags"];

if header :regex "subject" "\\[ticket #([0-9]+)\\]" {
    set "ticket" "${1}";
    set :length "digits" "${ticket}";

    # Old tickets had 3-digit numbers and lived in a different system.
    if string :is "${digits}" "3" {
        fileinto "Work/Tickets/legacy";
    } else {
        fileinto :flags "$Ticket" "Work/Tickets/${ticket}";
    }
    stop;
}

if address :is "from" "helpdesk@corp.example.com" {
    fileinto "Work/Tickets/unsorted";
}
