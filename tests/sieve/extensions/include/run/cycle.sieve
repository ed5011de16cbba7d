require ["include", "fileinto"];
fileinto "C";
include "cycle-a";
