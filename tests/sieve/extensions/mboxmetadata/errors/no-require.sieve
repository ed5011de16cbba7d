if metadata "INBOX" "/shared/comment" "x" { keep; }
if metadataexists "INBOX" "/shared/comment" { keep; }
