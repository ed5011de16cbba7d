require ["comparator-i;ascii-numeric", "relational"];
if header :contains :comparator "i;ascii-numeric" "x-score" "5" { keep; }
if header :comparator "i;bogus" "x-score" "5" { keep; }
