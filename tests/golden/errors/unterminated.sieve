if header "subject" "never closed {
  keep;
}
