require "index";
if header :last "subject" "x" { keep; }
if address :last :all "to" "x" { keep; }
