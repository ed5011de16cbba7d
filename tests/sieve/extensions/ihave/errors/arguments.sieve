require "ihave";
if ihave 1 { keep; }
error ["a", "b"];
