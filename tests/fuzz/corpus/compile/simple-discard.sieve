# simple-discard.sieve -- the smallest useful filter
#
# Drops mail from one notorious sender and anything whose subject
# promises easy money; everything else is filed explicitly into INBOX.
#
# Shows (RFC 5228):
#   sec. 3.1  if / elsif / else
#   sec. 4.1  fileinto (extension "fileinto")
#   sec. 4.5  discard
#   sec. 5.7  header test with :contains
#   sec. 9    the spirit of the first example script: one discard rule per
#             kind of nuisance and an explicit else branch
#
# Note: "fileinto INBOX" is written out on purpose to show that an
# explicit fileinto cancels the implicit keep (sec. 2.10.2); the result
# is the same mailbox as the implicit keep would have used.

require "fileinto";

if header :contains "from" "roadrunner-fan@example.net" {
    discard;
} elsif header :contains "subject" ["$$$", "easy money"] {
    discard;
} else {
    fileinto "INBOX";
}
