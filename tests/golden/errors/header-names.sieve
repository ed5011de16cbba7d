# RFC 5322 §3.6.8: invalid field names are warnings (the test never
# matches); only the unknown command at the end is an error
if header "sub ject" "x" { keep; }
if exists ["to", "x:y"] { keep; }
if address :all ["from", "from:"] "a@b.c" { keep; }
if header "" "x" { keep; }
frob;
