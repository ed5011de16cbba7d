require ["date", "index"];
if header :last "subject" "x" { keep; }
if header :index 0 "subject" "x" { keep; }
if date :zone "+2400" "date" "year" "2000" { keep; }
if currentdate "yesterday" "x" { keep; }
