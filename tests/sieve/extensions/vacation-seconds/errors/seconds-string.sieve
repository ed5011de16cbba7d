require "vacation-seconds";
vacation :seconds "60" "x";
