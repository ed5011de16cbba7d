require ["include", "variables", "fileinto"];
set "global.shared" "via namespace";
include "namespace";
fileinto "now-${global.shared}";
