require ["include", "fileinto"];
fileinto "main";
include "fails";
