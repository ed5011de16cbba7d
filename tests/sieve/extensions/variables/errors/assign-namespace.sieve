require "variables";
set "tst.path" "x";
