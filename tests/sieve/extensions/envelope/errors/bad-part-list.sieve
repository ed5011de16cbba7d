require "envelope";
if envelope :is ["from", "bcc"] "x" { discard; }
