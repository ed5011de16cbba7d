redirect "alice at example.org";
redirect "@example.org";
redirect "a@b.example, c@d.example";
redirect "Name <broken@example.org";
redirect "list: a@b.example;";
redirect "ok (fine) @ example.org";
