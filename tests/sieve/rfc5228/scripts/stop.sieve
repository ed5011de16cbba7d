discard;
stop;
redirect "a@example.com";
