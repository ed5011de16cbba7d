require ["include", "variables"];
global "n";
set "n" "${n}-";
