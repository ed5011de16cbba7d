require "mboxmetadata";
# RFC 5464 §3.2: under /private or /shared, no empty component, no * or %,
# printable ASCII only
if metadata "INBOX" "/comment" "x" { keep; }
if metadata "INBOX" "/shared" "x" { keep; }
if metadata "INBOX" "/shared/" "x" { keep; }
if metadata "INBOX" "/shared//comment" "x" { keep; }
if metadata "INBOX" "/shared/comment/" "x" { keep; }
if metadata "INBOX" "/shared/com*ment" "x" { keep; }
if metadataexists "INBOX" ["/private/ok", "/private/c%"] { keep; }
if metadataexists "INBOX" "/private/çé" { keep; }
if metadataexists "INBOX" "private/comment" { keep; }
