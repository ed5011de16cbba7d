# RFC 5435 §3.1-§3.4, RFC 5436 §2.1: each mistake reported once, where it is
require ["enotify", "reject", "variables"];
notify "xmpp:someone@example.net";
notify :importance "0" "mailto:a@example.net";
notify :from "me" :options ["novalue", "a=b"] "mailto:a@example.net?subject=%4";
notify "mailto:${who}";
reject 42;
