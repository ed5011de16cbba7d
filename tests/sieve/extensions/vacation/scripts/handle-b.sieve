require "vacation";
vacation :handle "h" "Reason B";
