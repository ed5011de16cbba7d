require ["editheader", "relational"];
addheader "X Bad" "value";
deleteheader :last "X-Spam";
deleteheader :index 0 "X-Spam";
deleteheader :count "ge" "X-Spam" "2";
