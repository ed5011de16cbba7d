require "fileinto";
if fileinto "A" { keep; }
