require ["editheader", "relational"];
deleteheader :last "X-A";
deleteheader :index 0 "X-A";
deleteheader "X:A";
deleteheader :count "gt" "X-A" "1";
deleteheader :index "1" "X-A";
