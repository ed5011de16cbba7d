require "regex";
if header :regex "subject" "(unclosed" { discard; }
if header :regex "subject" "(a)\\1" { discard; }
