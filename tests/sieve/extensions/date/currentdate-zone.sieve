# :zone shifts "now" before the part is taken (RFC 5260 §5, §4.1)
require ["date", "fileinto"];
if not currentdate :zone "+0900" "iso8601" "2026-12-03T03:16:05+09:00" { fileinto "plus9"; }
if not currentdate :zone "+0900" "weekday" "4" { fileinto "weekday"; }
if not currentdate :zone "-1130" "date" "2026-12-02" { fileinto "minus1130"; }
if not currentdate :zone "-1130" "time" "06:46:05" { fileinto "minus1130time"; }
if not currentdate :zone "-0000" "zone" "-0000" { fileinto "minus0"; }
