# RFC 6609 include, return and global; RFC 5463 ihave (no code of its
# own: the compiler knows its value) and error
require ["include", "variables", "ihave", "fileinto"];
global "box";
set "global.count" "${global.count}x";
include "lib";
include :global :once :optional "site";
if ihave "x-no-such-extension" { x_unknown_command; }
if ihave "fileinto" { fileinto "${box}"; } else { discard; }
if header :is "subject" "stop" { return; }
error "failed: ${box}";
