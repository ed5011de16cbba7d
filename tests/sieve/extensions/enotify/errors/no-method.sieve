require "enotify";
notify;
