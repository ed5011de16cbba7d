# RFC 5490 (mailbox, mboxmetadata, servermetadata), RFC 5235 (spamtest,
# spamtestplus, virustest): every operation, :create and :percent decoded
require ["fileinto", "mailbox", "mboxmetadata", "servermetadata", "spamtestplus", "virustest", "relational", "comparator-i;ascii-numeric"];
if mailboxexists ["A", "B"] { fileinto :create "A"; }
if metadata :contains "INBOX" "/private/comment" "x" { keep; }
if metadataexists "INBOX" ["/shared/a", "/shared/b"] { keep; }
if servermetadata :matches "/shared/motd" "*" { keep; }
if servermetadataexists "/shared/motd" { keep; }
if spamtest :percent :value "ge" :comparator "i;ascii-numeric" "50" { discard; }
if virustest "5" { discard; }
