require "mboxmetadata";
if servermetadata "/shared/motd" "x" { keep; }
if servermetadataexists "/shared/motd" { keep; }
