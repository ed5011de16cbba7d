require "variables";
set "${a}" "x";
set "" "y";
set "a b" "z";
set "1" "w";
