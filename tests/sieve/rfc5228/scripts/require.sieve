require ["fileinto", "envelope"];
require "fileinto";
require ["variables"];
fileinto "x";
