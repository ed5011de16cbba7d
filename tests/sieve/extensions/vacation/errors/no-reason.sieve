require "vacation";
vacation :days 7;
