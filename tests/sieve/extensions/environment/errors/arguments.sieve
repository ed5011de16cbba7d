require "environment";
if environment "location" { keep; }
if environment :comparator "i;nonsense" "host" "x" { keep; }
