require "enotify";
notify "mailto:a@example.net?subject=%zz";
