require "date";
if date :zone "0100" "date" "year" "2007" { keep; }
if date :zone "+2400" "date" "year" "2007" { keep; }
if date :zone "+0160" "date" "year" "2007" { keep; }
if currentdate :zone "CET" "year" "2007" { keep; }
