require "date";
if currentdate :originalzone "year" "2007" { keep; }
