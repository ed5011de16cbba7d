require "relational";
if spamtest "0" { keep; }
