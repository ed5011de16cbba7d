if header "subject" { keep; }
if size 10 { keep; }
keep "extra";
if true discard;
