if header :is "sub ject" "x" { keep; }
if address :is "subject" "x" { keep; }
redirect "not an address";
