require "duplicate";
if duplicate :header "X-Id" :uniqueid "abc" { discard; }
