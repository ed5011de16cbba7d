require "relational";
if header :value "gte" "subject" "x" { keep; }
if header :count "" "subject" "1" { keep; }
