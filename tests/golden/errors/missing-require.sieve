# RFC 5228 §3.2: fileinto (RFC 5228 §4.1) needs require "fileinto"
if address :domain "from" "example.com" {
  fileinto "Work";
}
