require "relational";
if header :value "eq" :is "subject" "x" { keep; }
if header :count "eq" :matches "to" "1" { keep; }
