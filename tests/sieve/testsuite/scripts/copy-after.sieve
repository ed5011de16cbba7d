require ["fileinto", "copy"];
fileinto :copy "After";
