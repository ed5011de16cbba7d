require ["imap4flags", "fileinto", "variables"];
set "a" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
set "b" "${a}${a}${a}${a}${a}${a}${a}${a}";
fileinto :flags "${b}${b}" "Junk";
