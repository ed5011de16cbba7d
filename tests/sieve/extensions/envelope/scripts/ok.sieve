require "envelope";
if envelope :is ["from", "to"] "x@y.z" { discard; }
