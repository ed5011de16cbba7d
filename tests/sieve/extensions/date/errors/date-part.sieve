require "date";
if date "date" "yea" "2007" { keep; }
if currentdate "weekdays" "1" { keep; }
