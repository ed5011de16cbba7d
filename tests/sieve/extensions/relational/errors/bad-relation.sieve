require "relational";
if header :value "frop" "subject" "x" { keep; }
