require "fileinto";
fileinto :frop "A";
