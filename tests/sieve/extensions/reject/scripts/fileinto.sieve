require ["reject", "fileinto"];
reject "no";
fileinto "Junk";
