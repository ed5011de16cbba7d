require "variables";
set :lower :upper "a" "x";
set :upperfirst :lowerfirst "b" "y";
