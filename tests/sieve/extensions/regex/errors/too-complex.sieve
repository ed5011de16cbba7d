require "regex";
if header :regex "subject" "((a{255}){255}){255}" { keep; }
