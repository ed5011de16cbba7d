require "fileinto";
fileinto;
fileinto ["a", "b"];
