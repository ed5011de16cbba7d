require ["fileinto", "copy", "variables"];
fileinto :copy "Lost";
set "a" "not an address";
redirect "${a}";
