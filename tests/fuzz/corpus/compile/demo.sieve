# demo.sieve -- the personal filter used by the sift demo
#
# Owner: Alice Liddell <alice@example.org>
#
# A realistic "one script does everything" personal filter. Run against
# the sample messages in messages/, every message ends up somewhere
# different; messages/EXPECTED lists the outcome for each of them.
#
# Shows:
#   RFC 5228  require, if/elsif/else, stop, discard, header, address,
#             envelope, exists, size, allof/anyof/not, :is/:contains/
#             :matches, :localpart/:domain, string lists
#   RFC 5228  fileinto (sec. 4.1) and implicit keep (sec. 2.10.2)
#   RFC 3894  redirect :copy
#   RFC 5229  variables: set :lower, match variables ${1}
#   RFC 5231  relational :value / :count with i;ascii-numeric
#   RFC 5233  subaddress :detail
#   RFC 5232  imap4flags: addflag, :flags on fileinto, flags carried
#             into the implicit keep
#   draft-ietf-sieve-regex  :regex
#   RFC 5173  body :content and :text
#
# The rules run top to bottom; every rule that files a message ends with
# "stop" so that exactly one folder decision is made.
#
# How messages/EXPECTED was derived: every sample message was run
# through Dovecot Pigeonhole's dry-run tool as a reference,
#     sieve-test -c dc.conf [-f SENDER] -a RECIPIENT demo.sieve MESSAGE
# with the envelope sender/recipient listed in messages/README, and the
# printed actions were translated into the EXPECTED notation ("store
# message in folder: X" -> fileinto:X, implicit keep into INBOX -> keep,
# "add IMAP flags" -> [flags]). Each result was then checked by hand
# against the rule comments below:
#     01 mailing list      -> fileinto:Lists/sift-dev          (rule 4)
#     02 spam              -> fileinto:Junk[\Seen]             (rule 1)
#     03 family            -> fileinto:Family                  (rule 5)
#     04 ticket #4711      -> fileinto:Work/Tickets[\Flagged]  (rule 7)
#     05 alice+shop        -> fileinto:Shopping                (rule 6)
#     06 newsletter        -> fileinto:Newsletters             (rule 11)
#     07 PDF invoice       -> redirect:bookkeeping@example.net,
#                             keep[$Invoice]                   (rule 8)
#     08 encoded headers   -> keep[\Flagged]                   (rule 9)
#     09 many Cc           -> fileinto:Work/Announcements      (rule 7)
#     10 no Message-ID     -> discard                          (rule 2)
#     11 bounce            -> fileinto:Bounces                 (rule 3)
#     12 60 KB report      -> fileinto:Archive/Large[\Seen]    (rule 10)
#     13 plain reply       -> keep                             (no rule)

require ["fileinto", "envelope", "copy", "variables", "relational",
         "comparator-i;ascii-numeric", "subaddress", "imap4flags",
         "regex", "body"];

# ---------------------------------------------------------------------
# 1. Spam. The filter in front of the mailbox adds X-Spam-Flag and
#    X-Spam-Score. i;ascii-numeric only looks at the leading digits, so
#    "12.3" compares as 12. (A negative score such as "-0.4" starts with
#    a non-digit and would compare as positive infinity, hence the
#    extra "not :matches -*" guard.)
# ---------------------------------------------------------------------
if anyof (header :is "X-Spam-Flag" "YES",
          allof (header :value "ge" :comparator "i;ascii-numeric"
                        "X-Spam-Score" "8",
                 not header :matches "X-Spam-Score" "-*")) {
    fileinto :flags "\\Seen" "Junk";
    stop;
}

# ---------------------------------------------------------------------
# 2. Known junk senders are dropped silently. A bulk mailer that does
#    not even bother to set a Message-ID and already scores a bit on
#    the spam scale is treated the same way.
# ---------------------------------------------------------------------
if anyof (address :domain :is "from" ["cheapdeals.example.net",
                                      "win-a-prize.example.com"],
          allof (not exists "message-id",
                 header :value "ge" :comparator "i;ascii-numeric"
                        "X-Spam-Score" "3")) {
    discard;
    stop;
}

# ---------------------------------------------------------------------
# 3. Delivery failures. In real delivery the envelope sender of a bounce
#    is the null path, which the envelope test compares as "" (RFC 5228
#    sec. 5.4). The From localpart check is a fallback for tools that
#    cannot express a null sender.
# ---------------------------------------------------------------------
if anyof (envelope :is "from" "",
          address :localpart :is "from" "MAILER-DAEMON") {
    fileinto "Bounces";
    stop;
}

# ---------------------------------------------------------------------
# 4. Mailing lists: "Some text <name.lists.example.net>" goes into
#    Lists/name. The regex grabs the first label of the list id; :lower
#    keeps folder names consistent whatever case the list uses.
# ---------------------------------------------------------------------
if header :regex "List-Id" "<([A-Za-z0-9_-]+)[.]" {
    set :lower "listname" "${1}";
    fileinto "Lists/${listname}";
    stop;
}

# ---------------------------------------------------------------------
# 5. Family.
# ---------------------------------------------------------------------
if address :domain :is "from" "liddell.example.net" {
    fileinto "Family";
    stop;
}

# ---------------------------------------------------------------------
# 6. Sub-addresses: alice+shop@example.org is the address Alice gives to
#    online shops.
# ---------------------------------------------------------------------
if envelope :detail :is "to" "shop" {
    fileinto "Shopping";
    stop;
}

# ---------------------------------------------------------------------
# 7. Work. Company-wide mails (many recipients) are separated from
#    helpdesk tickets; high-priority tickets get flagged.
# ---------------------------------------------------------------------
if address :domain :is "from" "corp.example.com" {
    if address :count "ge" :comparator "i;ascii-numeric"
               ["to", "cc"] "10" {
        fileinto "Work/Announcements";
    } elsif header :regex "subject" "\\[ticket #[0-9]+\\]" {
        if header :is "X-Ticket-Priority" "high" {
            addflag "\\Flagged";
        }
        fileinto "Work/Tickets";
    } else {
        fileinto "Work";
    }
    stop;
}

# ---------------------------------------------------------------------
# 8. Invoices with a PDF attached: a copy goes to the bookkeeper, the
#    original stays in the INBOX (implicit keep) marked with $Invoice.
# ---------------------------------------------------------------------
if allof (header :contains "subject" "invoice",
          body :content "application/pdf" :contains "") {
    redirect :copy "bookkeeping@example.net";
    addflag "$Invoice";
    stop;
}

# ---------------------------------------------------------------------
# 9. Friends whose mail should stand out. The header test sees decoded
#    RFC 2047 text, so the accented display name matches directly.
# ---------------------------------------------------------------------
if header :contains "from" ["François", "Dupont"] {
    addflag "\\Flagged";
    stop;
}

# ---------------------------------------------------------------------
# 10. Very large mail (reports, logs) is archived unread.
# ---------------------------------------------------------------------
if size :over 50K {
    fileinto :flags "\\Seen" "Archive/Large";
    stop;
}

# ---------------------------------------------------------------------
# 11. Newsletters: anything whose text parts offer an unsubscribe link.
# ---------------------------------------------------------------------
if body :text :contains "unsubscribe" {
    fileinto "Newsletters";
    stop;
}

# Everything else: implicit keep into INBOX.
