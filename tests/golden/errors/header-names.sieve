if header "sub ject" "x" { keep; }
if exists ["to", "x:y"] { keep; }
if address :all "subject" "a@b.c" { keep; }
