require "regex";
if header :regex :is "subject" "a" { keep; }
