require ["ihave", "fileinto", "variables"];
set "why" "broken";
fileinto "E";
error "it is ${why}";
fileinto "never";
