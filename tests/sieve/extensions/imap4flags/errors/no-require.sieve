require "fileinto";
setflag "a";
addflag "a";
if hasflag "a" { keep :flags "a"; }
