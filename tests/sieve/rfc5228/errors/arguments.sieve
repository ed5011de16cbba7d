if header :is "subject" {
  keep;
}
redirect;
redirect "a@b.c" "d@e.f";
