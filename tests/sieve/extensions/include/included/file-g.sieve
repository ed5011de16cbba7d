require "fileinto";
fileinto "personal-G";
