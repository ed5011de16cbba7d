require "variables";
set "a" "a@b.example, c@d.example";
redirect "${a}";
