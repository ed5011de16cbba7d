require ["regex", "variables"];
# the pattern comes with the message (the crash of issue 6)
if header :matches "x-pattern" "*" { set "p" "${1}"; }
if header :regex "subject" "${p}" { set "c" "${1}"; keep; }
