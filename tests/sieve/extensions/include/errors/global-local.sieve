require ["include", "variables"];
set "x" "local";
global "x";
