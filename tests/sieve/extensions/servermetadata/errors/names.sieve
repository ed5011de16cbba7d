require "servermetadata";
if servermetadata "motd" "x" { keep; }
if servermetadata "/shared/motd/" "x" { keep; }
if servermetadataexists ["/shared/motd", "/shared/*"] { keep; }
