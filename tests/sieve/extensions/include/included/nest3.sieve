require "fileinto";
fileinto "nest3";
