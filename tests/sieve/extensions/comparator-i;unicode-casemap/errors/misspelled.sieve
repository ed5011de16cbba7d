require "comparator-i;unicode-casemap";
if header :is :comparator "i;unicode-casemaps" "subject" "x" { keep; }
