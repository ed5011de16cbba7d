require ["include", "fileinto"];
include "return";
fileinto "main-after";
return;
fileinto "never";
