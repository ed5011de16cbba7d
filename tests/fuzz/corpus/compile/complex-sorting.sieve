# complex-sorting.sieve -- sort mail by who sent it and who it was for
#
# A four-way decision in the spirit of the longer example in RFC 5228
# sec. 9, with our own names:
#   * mail relayed by the sift-users list (recognised by its Sender
#     header) goes to "sift-users";
#   * mail from or to colleagues at example.com stays in INBOX;
#   * mail not addressed to alice@example.org at all, or with a typical
#     scam subject, goes to "Suspicious";
#   * everything else is "Personal".
#
# Shows (RFC 5228):
#   sec. 5.1  address test with :domain and :all
#   sec. 5.7  header test with :is and :matches ("*" wildcards)
#   sec. 5.3  anyof, sec. 5.8 not
#   sec. 2.4.2.3  case-insensitive tag names (":DOMAIN" works like ":domain")
#   sec. 4.3  explicit keep

require "fileinto";

if header :is "Sender" "sift-users-bounces@lists.example.net" {
    fileinto "sift-users";
} elsif address :DOMAIN :is ["From", "To"] "example.com" {
    keep;
} elsif anyof (not address :all :contains ["To", "Cc", "Bcc"]
                                          "alice@example.org",
               header :matches "subject" ["*win*cash*now*",
                                          "*cheap*pharm*cy*"]) {
    fileinto "Suspicious";
} else {
    fileinto "Personal";
}
