if header :contains "subject" "x" {
  # unterminated string
  fileinto "Junk;
