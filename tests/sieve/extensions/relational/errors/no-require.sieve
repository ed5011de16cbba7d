if header :value "eq" "subject" "x" { keep; }
if header :count "eq" "to" "1" { keep; }
