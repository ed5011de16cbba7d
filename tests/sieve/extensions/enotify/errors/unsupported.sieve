require "enotify";
notify "xmpp:someone@example.net";
