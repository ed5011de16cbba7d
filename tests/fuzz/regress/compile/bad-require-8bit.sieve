require "vacation";
if header :matches "subject" "*ÿþ" { keep; }
