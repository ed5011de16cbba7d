require ["enotify", "variables"];
set "i" "7";
notify :importance "${i}" "mailto:a@example.net";
