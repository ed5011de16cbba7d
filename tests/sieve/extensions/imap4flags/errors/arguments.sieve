require ["imap4flags", "variables"];
setflag;
addflag "v" "a" "b";
removeflag ["v", "w"] "a";
