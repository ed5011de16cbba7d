require ["comparator-i;unicode-casemap", "regex"];
if header :regex :comparator "i;unicode-casemap" "subject" "^a" { keep; }
