if size 10 { keep; }
if size :over "x" { keep; }
