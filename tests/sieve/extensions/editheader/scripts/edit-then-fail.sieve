require ["editheader", "variables"];
addheader "X-Failed" "1";
set "bad" "Not A Name";
addheader "${bad}" "x";
