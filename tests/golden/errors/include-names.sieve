require ["include", "variables", "ihave"];
include "../escape";
include :personal :global "x";
set "n" "lib";
include "${n}";
global "n";
if anyof (ihave "x-no-such-extension", true) { x_unknown_command; }
