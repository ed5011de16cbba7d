require "vacation";
vacation :addresses ["alias@example.net", "other@example.net"] "Away.";
