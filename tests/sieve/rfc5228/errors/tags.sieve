if header :bogus "subject" "x" { keep; }
if header :comparator "i;nonesuch" "subject" "x" { keep; }
if header :is :contains "subject" "x" { keep; }
