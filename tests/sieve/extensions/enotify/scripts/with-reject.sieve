require ["enotify", "reject"];
notify "mailto:a@example.net";
reject "no";
