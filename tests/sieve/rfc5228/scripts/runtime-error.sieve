require "variables";
discard;
set "a" "no address";
redirect "${a}";
