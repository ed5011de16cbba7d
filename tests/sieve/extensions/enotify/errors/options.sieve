require "enotify";
notify :options "novalue" "mailto:a@example.net";
