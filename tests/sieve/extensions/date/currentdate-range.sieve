# RFC 5260 §5.1's first example, moved to this week
require ["date", "relational"];
if allof (currentdate :zone "+0000" :value "ge" "date" "2026-11-30",
          currentdate :zone "+0000" :value "le" "date" "2026-12-06") {
	discard;
}
