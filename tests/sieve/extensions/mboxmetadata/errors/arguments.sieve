require "mboxmetadata";
if metadata "INBOX" "/shared/comment" { keep; }
if metadata "INBOX" { keep; }
if metadataexists "INBOX" { keep; }
if metadataexists :is "INBOX" "/shared/comment" { keep; }
if metadata :create "INBOX" "/shared/comment" "x" { keep; }
