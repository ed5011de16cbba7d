require ["copy", "fileinto"];
fileinto :copy :copy "A";
