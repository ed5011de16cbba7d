require "vacation";
vacation "Reason B";
