require ["reject", "variables"];
set "who" "Frop";
reject "${who} is not welcome";
