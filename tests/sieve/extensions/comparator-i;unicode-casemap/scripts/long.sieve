require "comparator-i;unicode-casemap";
if header :contains :comparator "i;unicode-casemap" "x-long" "a" { keep; }
