require "duplicate";
require "fileinto";
if duplicate :last :seconds 100 { discard; }
