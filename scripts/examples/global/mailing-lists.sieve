# mailing-lists.sieve -- the site's shared mailing-list recogniser
#
# Kept by the mail admin in the global script folder (sift.conf:
# sieve-global) and included by users' scripts with
#     include :global "mailing-lists";
# It files nothing itself: it only works out which list a message came
# from and hands that to the including script in the global variable
# "list" (empty when the message is not list mail), so every user files
# lists their own way without each copying the recognition rules.
#
# Shows:
#   RFC 6609 sec. 3.3  global variables shared with the including script
#   RFC 6609 sec. 3.2  return
#   RFC 2919           List-Id, RFC 2369 List-Post
#   RFC 5229           :matches with match variables, set :lower

require ["include", "variables"];

global "list";
set "list" "";

# RFC 2919: List-Id: Some text <list-label.domain>; the first label of
# the id names the list.
if header :matches "List-Id" "*<*>*" {
    set :lower "id" "${2}";
    if string :matches "${id}" "*.*" {
        set "list" "${1}";
    } else {
        set "list" "${id}";
    }
    return;
}

# Older list software sets only List-Post (RFC 2369): <mailto:name@host>.
if header :matches "List-Post" "*<mailto:*@*>*" {
    set :lower "list" "${2}";
    return;
}

# Some announcement senders mark bulk mail only with Precedence.
if header :is "Precedence" "list" {
    if address :localpart :matches "from" "*" {
        set :lower "list" "${1}";
    }
}
