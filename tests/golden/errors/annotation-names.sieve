require ["mboxmetadata", "servermetadata", "spamtest"];
# RFC 5464 §3.2: the name at fault is the one marked, in a list too
if metadataexists "INBOX" ["/private/ok", "/private/a%b"] { keep; }
if servermetadata "/public/motd" "x" { keep; }
if spamtest ["1", "2"] { discard; }
