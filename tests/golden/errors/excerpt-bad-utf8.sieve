# bad UTF-8 and control bytes are escaped in the excerpt; the ~~~ covers the escapes
if header :is "subject" "abÿd" { keep; }
