# RFC 5260 §4, §5, §6: date, currentdate, :index and :last
require ["date", "index", "relational", "comparator-i;ascii-numeric"];
if date :index 2 :last :zone "+0100" :value "ge" :comparator "i;ascii-numeric"
        "received" "hour" "09" {
  keep;
}
if anyof (date :originalzone "date" "weekday" ["0", "6"],
          currentdate :zone "-0000" :matches "iso8601" "2026-*") {
  discard;
}
if header :index 1 :contains "subject" "x" { stop; }
if address :last :index 3 :domain "to" "example.com" { stop; }
