require ["include", "variables", "fileinto"];
global "shared";
set "shared" "from parent";
set "local" "parent local";
include "set-global";
fileinto "shared-${shared}";
fileinto "local-${local}";
