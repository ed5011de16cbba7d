require ["fileinto", "envelope", "copy", "variables", "relational", "subaddress",
	"imap4flags", "regex", "body", "encoded-character", "comparator-i;ascii-numeric"];
if header :regex "subject" "^\\[([a-z]+)\\]" {
	set :upperfirst "tag" "${1}";
	addflag "\\Flagged";
	fileinto :flags "\\Seen" "Tags/${tag}";
}
if allof (address :detail "to" "work",
	  header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "5",
	  body :contains "numbers") {
	redirect :copy "archive@example.net";
}
if envelope :all :is "from" "boss@example.com" {
	fileinto "${hex:42 6f 73 73}";
}
