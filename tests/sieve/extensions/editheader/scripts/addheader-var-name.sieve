require ["editheader", "variables"];
set "name" "X-Bad:Name";
addheader "${name}" "value";
