redirect "alice at example.org";
redirect "@example.org";
redirect 17;
