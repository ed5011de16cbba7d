# i;unicode-casemap (RFC 5051) names a comparator: no operation of its own
require ["comparator-i;unicode-casemap", "relational", "body"];
if header :matches :comparator "i;unicode-casemap" "subject" "Grüße*" { keep; }
if address :value "ge" :comparator "i;unicode-casemap" :localpart "from" "ärger" { discard; }
if body :text :contains :comparator "i;unicode-casemap" "ＳＡＬＥ" { stop; }
