require ["editheader", "variables"];
set "name" "";
deleteheader "${name}";
