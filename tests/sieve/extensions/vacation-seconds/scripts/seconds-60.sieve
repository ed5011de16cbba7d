require "vacation-seconds";
vacation :seconds 60 "A minute.";
