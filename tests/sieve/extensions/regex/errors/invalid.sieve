require "regex";
if header :regex "subject" "a{2" { keep; }
if header :regex "subject" "[[:frop:]]" { keep; }
