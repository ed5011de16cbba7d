# RFC 5228 §8.2: each independent mistake is reported once; the correct
# commands between them say nothing, and none hides a later one
require ["fileinto", "variables"];
keep
if header :contains "subject" "offer" { fileinto "Offers"; }
frobnicate "x";
discard;
if header :bogus "subject" "y" { stop; }
if true { keep }
fileinto "a" "b";
if anyof (true, false { stop; }
elsif true { keep; }
set "a" "b";
redirect "@nowhere";
