# junk-senders.sieve -- silently drop mail from a personal block list
#
# Whole domains and single addresses are blocked. The envelope sender is
# checked too, because junk often uses a harmless looking From header.
#
# Shows (RFC 5228):
#   sec. 4.5   discard (no bounce, no notification)
#   sec. 5.1   address :domain and :all
#   sec. 5.4   envelope "from" (extension "envelope")
#   sec. 5.3   anyof
#   sec. 3.3   stop

require "envelope";

if anyof (address :domain :is "from" ["cheapdeals.example.net",
                                      "win-a-prize.example.com",
                                      "bulk.example.net"],
          address :all :is "from" ["offers@travel-spam.example.com",
                                   "noreply@lottery.example.org"],
          envelope :domain :is "from" ["cheapdeals.example.net",
                                       "bulk.example.net"]) {
    discard;
    stop;
}
