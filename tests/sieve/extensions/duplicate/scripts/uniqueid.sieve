require "duplicate";
require "variables";
require "fileinto";
if header :matches "subject" "*" { set "s" "${1}"; }
if duplicate :uniqueid "${s}" { fileinto "Seen"; }
