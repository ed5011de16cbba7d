require "duplicate";
require "fileinto";
if duplicate :handle "a" :header "X-Id" { fileinto "A"; }
if duplicate :handle "b" :header "X-Id" { fileinto "B"; }
