require "ihave";
if ihave "fileinto" { fileinto "inside"; }
fileinto "outside";
