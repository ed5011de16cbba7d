set "a" "x";
if string "a" "b" { keep; }
