# RFC 5228 §3.1: if / elsif / else, §3.3 stop
if header :contains "subject" "urgent" {
  keep;
  stop;
} elsif exists ["x-spam-flag", "x-spam-score"] {
  discard;
} else {
  redirect "archive@example.net";
}
