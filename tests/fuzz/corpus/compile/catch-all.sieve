# catch-all.sieve -- one long elsif chain that decides everything
#
# Alice's domain example.org forwards every address to her, so mail
# arrives for made-up addresses such as "dentist@example.org". The
# chain below picks a folder from the envelope recipient; the final
# else catches every address nobody thought of.
#
# Shows (RFC 5228):
#   sec. 3.1   a long if / elsif / ... / else chain: exactly one branch
#              runs
#   sec. 5.4   envelope "to" with :localpart and :matches
#   sec. 2.7.1 :matches with "?" (exactly one character)
# plus RFC 5229 match variables in the last branch.

require ["envelope", "fileinto", "variables"];

if envelope :localpart :matches "to" ["alice", "alice+*"] {
    # Alice herself, including sub-addresses (see subaddress-routing.sieve)
    keep;
} elsif envelope :localpart :is "to" ["postmaster", "abuse", "hostmaster"] {
    fileinto "Admin";
} elsif envelope :localpart :is "to" ["bank", "insurance", "tax"] {
    fileinto "Finance";
} elsif envelope :localpart :is "to" ["dentist", "doctor", "pharmacy"] {
    fileinto "Health";
} elsif envelope :localpart :matches "to" "shop-*" {
    fileinto "Shopping";
} elsif envelope :localpart :matches "to" "test?" {
    # test1@, test2@ ... used for trying out mail setups
    discard;
} elsif envelope :localpart :matches "to" "*" {
    fileinto "Catchall/${1}";
} else {
    # unreachable for real mail ("*" matches everything), kept as a
    # safety net
    keep;
}
