require "enotify";
notify :message "one" "mailto:a@example.net";
notify :message "one" "mailto:a@example.net";
notify :message "two" "mailto:a@example.net";
notify :message "three" "mailto:a@example.net";
