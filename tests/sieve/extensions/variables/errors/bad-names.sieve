require "variables";
set "1a" "x";
set "a-b" "y";
if string "${frop.x}" "" { keep; }
