require "duplicate";
if duplicate :header "X Id:" { discard; }
