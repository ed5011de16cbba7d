require ["include", "variables", "imap4flags"];
global "myflags";
addflag "myflags" "$Seen-By-Lib";
