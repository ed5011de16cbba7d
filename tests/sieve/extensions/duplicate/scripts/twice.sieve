require "duplicate";
require "fileinto";
if duplicate { fileinto "First"; }
if duplicate { fileinto "Second"; }
