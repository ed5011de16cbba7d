require "spamtestplus";
if spamtest :percent :percent "50" { keep; }
if spamtest :percent { keep; }
if virustest :percent "1" { keep; }
