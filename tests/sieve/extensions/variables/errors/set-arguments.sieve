require "variables";
set "a";
set;
set "a" "b" "c";
