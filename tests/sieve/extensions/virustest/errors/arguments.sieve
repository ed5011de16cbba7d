require "virustest";
if virustest { keep; }
if virustest ["1", "2"] { keep; }
if virustest :percent "1" { keep; }
