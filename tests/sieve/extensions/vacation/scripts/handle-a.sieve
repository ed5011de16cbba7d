require "vacation";
vacation :handle "h" "Reason A";
