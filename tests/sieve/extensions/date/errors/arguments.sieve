require "date";
if date "date" "year" { keep; }
if currentdate "year" { keep; }
if date ["date", "received"] "year" "2007" { keep; }
