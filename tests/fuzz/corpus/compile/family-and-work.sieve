# family-and-work.sieve -- folders by the sender's domain
#
# Family members all use the family domain liddell.example.net;
# colleagues write from corp.example.com or one of its subsidiaries
# (*.corp.example.com). Mail from Alice's own domain that is addressed to
# a team alias goes to Work as well.
#
# Shows (RFC 5228):
#   sec. 5.1     address :domain with :is and :matches
#   sec. 2.7.4   :domain / :localpart / :all address parts
#   sec. 3.1     elsif chains
#   sec. 4.1     fileinto

require "fileinto";

if address :domain :is "from" "liddell.example.net" {
    fileinto "Family";
} elsif address :domain :matches "from" ["corp.example.com",
                                         "*.corp.example.com"] {
    fileinto "Work";
} elsif allof (address :domain :is "from" "example.org",
               address :localpart :is ["to", "cc"] ["team", "ops"]) {
    fileinto "Work";
}
