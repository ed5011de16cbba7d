require ["include", "variables"];
set "x" "file-a";
include "${x}";
