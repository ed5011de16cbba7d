require "fileinto";
fileinto "A";
