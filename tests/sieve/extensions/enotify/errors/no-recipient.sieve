require "enotify";
notify "mailto:?subject=hi";
