require ["include", "fileinto"];
fileinto "before-return";
if true { return; }
fileinto "after-return";
