require "relational";
if header :value "subject" "x" { keep; }
if header :count "to" { keep; }
