require "vacation-seconds";
vacation :days 0 "Days zero.";
