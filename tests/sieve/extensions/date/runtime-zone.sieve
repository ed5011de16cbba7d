require ["date", "variables"];
set "zone" "+1";
if currentdate :zone "${zone}" "year" "2003" { keep; }
