require ["include", "fileinto"];
include "stop";
fileinto "never";
