require "duplicate";
require "fileinto";
if duplicate { fileinto "Dups"; }
