# subaddress-routing.sieve -- route alice+something@example.org by detail
#
# Alice hands out tagged addresses: alice+shop@, alice+travel@,
# alice+lists@ ... Known tags go to fixed folders, any other tag gets a
# folder named after it (first letter capitalised), and mail to the
# plain address is left alone.
#
# Shows:
#   RFC 5233 sec. 4  :user and :detail address parts on envelope and
#                    address tests; an empty detail ("alice+@") matches "",
#                    no separator at all makes :detail fail
#   RFC 5229         set :upperfirst, :matches "*" capturing the detail
#   RFC 5228 sec. 5.4 envelope "to"

require ["envelope", "subaddress", "fileinto", "variables"];

# Only act on mail really delivered to alice.
if not envelope :user :is "to" "alice" {
    stop;
}

if envelope :detail :is "to" "shop" {
    fileinto "Shopping";
} elsif envelope :detail :is "to" ["travel", "trips"] {
    fileinto "Travel";
} elsif envelope :detail :is "to" "" {
    # "alice+@example.org": treated as plain mail
    keep;
} elsif envelope :detail :matches "to" "*" {
    set :lower :upperfirst "tag" "${1}";
    fileinto "Tagged/${tag}";
}
