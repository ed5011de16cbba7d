require "fileinto";
fileinto "S";
stop;
