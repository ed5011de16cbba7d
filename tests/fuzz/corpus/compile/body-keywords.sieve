# body-keywords.sieve -- look inside the message body
#
#   * text parts offering an "unsubscribe" link  -> "Newsletters"
#   * any attached PDF (decoded MIME part)       -> "Documents"
#   * a literal "Content-Transfer-Encoding: base64" anywhere in the raw,
#     undecoded body together with a tiny size -> flagged as $Suspicious
#
# Shows (RFC 5173):
#   sec. 5.1  body :raw      - the undecoded body, MIME structure and all
#   sec. 5.2  body :content  - only MIME parts of the listed types,
#                              transfer-decoded; "" as the match value
#                              makes the test "has such a part"
#   sec. 5.3  body :text     - same as :content "text"
# plus RFC 5232 addflag and RFC 5228 fileinto.

require ["body", "fileinto", "imap4flags"];

if body :text :contains "unsubscribe" {
    fileinto "Newsletters";
    stop;
}

if body :content "application/pdf" :contains "" {
    fileinto "Documents";
    stop;
}

if allof (size :under 4K,
          body :raw :contains "Content-Transfer-Encoding: base64") {
    addflag "$Suspicious";
}
