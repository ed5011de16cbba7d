require "vacation";
require "fileinto";
vacation "Away.";
fileinto "Folder";
