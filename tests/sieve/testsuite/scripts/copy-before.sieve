require ["fileinto", "copy"];
fileinto :copy "Before";
