require "vacation";
vacation :handle "admin" "The office is closed.";
