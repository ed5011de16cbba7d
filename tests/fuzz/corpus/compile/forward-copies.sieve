# forward-copies.sieve -- send copies elsewhere without losing the original
#
#   * every invoice is copied to the bookkeeper and still filed
#     under Finance;
#   * mail about the family holiday house is copied to Alice's sister;
#   * everything from the on-call system is both archived (fileinto
#     :copy) and kept in INBOX.
#
# Shows:
#   RFC 3894       redirect :copy and fileinto :copy -- the original
#                  delivery (implicit keep or a later fileinto) still
#                  happens
#   RFC 5228 4.2   redirect
#   RFC 5228 5.7   header :contains on a list of header names

require ["copy", "fileinto"];

if header :contains "subject" ["invoice", "receipt"] {
    redirect :copy "bookkeeping@example.net";
    fileinto "Finance";
}

if header :contains ["subject", "x-topic"] "holiday house" {
    redirect :copy "lorina@liddell.example.net";
}

if address :is "from" "pager@oncall.example.com" {
    fileinto :copy "Archive/Oncall";
    # no stop: the implicit keep still puts it into INBOX
}
