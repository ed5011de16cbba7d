require "spamtest";
if virustest "0" { keep; }
