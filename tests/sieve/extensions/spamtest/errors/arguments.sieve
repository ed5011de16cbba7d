require "spamtest";
if spamtest { keep; }
if spamtest ["1", "2"] { keep; }
if spamtest "1" "2" { keep; }
if spamtest :percent "50" { keep; }
if spamtest :create "1" { keep; }
