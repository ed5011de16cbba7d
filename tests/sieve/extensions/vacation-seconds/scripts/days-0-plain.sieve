require "vacation";
vacation :days 0 "Days zero, no seconds.";
