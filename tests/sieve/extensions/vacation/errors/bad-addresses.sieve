require "vacation";
vacation :addresses ["ok@example.org", "@@"] "x";
