require ["include", "variables", "fileinto"];
set "shared" "not global here";
include "set-global";
fileinto "parent-${shared}";
