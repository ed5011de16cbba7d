require "envelope";
if envelope :is "frop" "x" { discard; }
