# optional (tagged) arguments may be left out, positional ones may not
if header "subject" { keep; }
