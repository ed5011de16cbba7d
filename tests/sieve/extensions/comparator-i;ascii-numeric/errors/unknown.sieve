require "comparator-i;ascii-numeric";
if header :is :comparator "i;ascii-numerics" "x" "1" { keep; }
