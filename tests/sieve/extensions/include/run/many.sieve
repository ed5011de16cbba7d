require ["include", "variables", "fileinto"];
global "n";
include "loop"; include "loop"; include "loop"; include "loop"; include "loop";
fileinto "n${n}";
