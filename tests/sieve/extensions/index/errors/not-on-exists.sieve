require "index";
if exists :index 1 "subject" { keep; }
