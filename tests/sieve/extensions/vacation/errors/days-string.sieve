require "vacation";
vacation :days "7" "x";
