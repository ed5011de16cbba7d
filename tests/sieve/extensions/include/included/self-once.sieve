require ["include", "fileinto"];
fileinto "self";
include :once "self-once";
