require "reject";
redirect "other@example.net";
reject "no";
