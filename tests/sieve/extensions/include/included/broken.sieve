require "fileinto";
fileinto "X"
