require "fileinto";
fileinto "G";
