require "fileinto";
if header :is :contains "subject" "b" { stop; }
frob;
if size 100 { keep; }
