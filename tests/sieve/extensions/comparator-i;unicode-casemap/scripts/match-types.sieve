require ["comparator-i;unicode-casemap", "relational"];
# RFC 5051 §3: equality, order and substring: every core and relational
# match type is allowed
if header :is :comparator "i;unicode-casemap" "subject" "a" { keep; }
if header :contains :comparator "i;unicode-casemap" "subject" "a" { keep; }
if header :matches :comparator "i;unicode-casemap" "subject" "a*" { keep; }
if header :value "ge" :comparator "i;unicode-casemap" "subject" "a" { keep; }
if header :count "eq" :comparator "i;unicode-casemap" "subject" "1" { keep; }
