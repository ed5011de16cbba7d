require ["date", "variables"];
set "part" "yearz";
if date "date" "${part}" "2003" { keep; }
