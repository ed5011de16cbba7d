# many-recipients.sieve -- treat "reply-all storms" differently
#
# A message addressed to ten or more people is rarely personal. Such
# messages go to "Broadcast" unless Alice is the only To recipient.
# Messages that carry more than one Subject or From header field are
# malformed and are flagged.
#
# Shows (RFC 5231):
#   sec. 4.2  :count on an address test -- counts addresses across all
#             named header fields ("To" and "Cc" together)
#   sec. 4.2  :count on a header test   -- counts header field values
#   comparator i;ascii-numeric (required for sensible :count results)
# plus RFC 5232 addflag.

require ["relational", "comparator-i;ascii-numeric", "fileinto",
         "imap4flags"];

if header :count "gt" :comparator "i;ascii-numeric"
          ["subject", "from"] "2" {
    addflag "$Malformed";
}

if allof (address :count "ge" :comparator "i;ascii-numeric"
                  ["to", "cc"] "10",
          not allof (address :count "eq" :comparator "i;ascii-numeric"
                             "to" "1",
                     address :is "to" "alice@example.org")) {
    fileinto "Broadcast";
}
