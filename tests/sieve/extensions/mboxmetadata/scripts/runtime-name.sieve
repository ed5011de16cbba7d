require ["mboxmetadata", "variables"];
set "entry" "/other/comment";
if metadata "INBOX" "${entry}" "x" { keep; }
