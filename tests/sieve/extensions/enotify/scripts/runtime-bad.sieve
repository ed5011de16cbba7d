require ["enotify", "variables"];
set "m" "xmpp:someone@example.net";
notify "${m}";
