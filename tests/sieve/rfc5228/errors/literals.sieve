# RFC 5322 §3.6.8: an invalid header name is a warning (never matches)
if header :is "sub ject" "x" { keep; }
# RFC 5228 §5.1: any header name is accepted by address
if address :is "subject" "x" { keep; }
redirect "not an address";
