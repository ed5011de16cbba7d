# every date part of "now" (RFC 5260 §4.2, §5) at :zone "+0000"; a part
# that does not match files into a folder named after it
require ["date", "fileinto", "variables"];
if not currentdate :zone "+0000" "year" "2026" { fileinto "year"; }
if not currentdate :zone "+0000" "month" "12" { fileinto "month"; }
if not currentdate :zone "+0000" "day" "02" { fileinto "day"; }
if not currentdate :zone "+0000" "date" "2026-12-02" { fileinto "date"; }
if not currentdate :zone "+0000" "julian" "61376" { fileinto "julian"; }
if not currentdate :zone "+0000" "hour" "18" { fileinto "hour"; }
if not currentdate :zone "+0000" "minute" "16" { fileinto "minute"; }
if not currentdate :zone "+0000" "second" "05" { fileinto "second"; }
if not currentdate :zone "+0000" "time" "18:16:05" { fileinto "time"; }
if not currentdate :zone "+0000" "iso8601" "2026-12-02T18:16:05+00:00" { fileinto "iso8601"; }
if not currentdate :zone "+0000" "std11" "Wed, 02 Dec 2026 18:16:05 +0000" { fileinto "std11"; }
if not currentdate :zone "+0000" "zone" "+0000" { fileinto "zone"; }
if not currentdate :zone "+0000" "weekday" "3" { fileinto "weekday"; }
if currentdate :zone "+0000" :matches "std11" "*, * * * *:*:* *" {
	if not string :is "${1}|${3}|${7}" "Wed|Dec|05" { fileinto "variables"; }
} else {
	fileinto "matches";
}
