require "editheader";
addheader "X Bad" "value";
addheader "X-Colon:" "value";
addheader "X-Only-Name";
addheader :first "X-Tag" "value";
