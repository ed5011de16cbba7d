# size-rules.sieve -- decisions based on message size
#
#   * over 20 MB: almost certainly a mistake; file away unread
#   * over 1 MB with an attachment-like content type: "Attachments"
#   * under 1 KB with an empty subject: probably a test ping, discard
#
# Shows (RFC 5228):
#   sec. 5.9   size :over / :under with K and M quantifiers (sec. 2.4.1)
#   sec. 5.3   allof
#   sec. 5.5   exists / sec. 5.8 not
# and RFC 5232 :flags on fileinto.
#
# Note: :over and :under are strict comparisons; a message of exactly
# 1K is neither :over 1K nor :under 1K.

require ["fileinto", "imap4flags"];

if size :over 20M {
    fileinto :flags "\\Seen" "Oversized";
} elsif allof (size :over 1M,
               header :contains "content-type" "multipart/mixed") {
    fileinto "Attachments";
} elsif allof (size :under 1K,
               anyof (not exists "subject",
                      header :is "subject" "")) {
    discard;
}
