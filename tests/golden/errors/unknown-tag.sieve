# RFC 5228 §2.6.2: tagged arguments a command does not know
require "fileinto";
if header :containz "subject" "x" { fileinto "A"; }
if size :ovr 10K { discard; }
