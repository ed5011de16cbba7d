# The same script as text-lf.sieve, saved with CRLF line ends
require ["variables", "encoded-character"];
set :length "n" text:
ab
..cd
.
;
set "t" text:
ab
..cd
.
;
set "q" "ab
cd";
if allof (string :is "${n}" "9", string :is "${t}" "ab${hex:0D}${hex:0A}.cd${hex:0D}${hex:0A}",
          string :is "${q}" "ab${hex:0D 0A}cd") {
	discard;
}
