require ["fileinto", "copy", "envelope", "subaddress"];
if envelope :detail "to" "lists" {
  fileinto :copy "Lists";
}
if address :user ["to", "cc"] "alice" {
  redirect :copy "alice@example.net";
}
