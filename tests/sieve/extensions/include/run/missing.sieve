require ["include", "fileinto"];
fileinto "M";
include "no-such-script";
