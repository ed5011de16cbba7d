require ["include", "fileinto"];
fileinto "nest2";
include "nest3";
