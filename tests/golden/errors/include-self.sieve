# RFC 6609 §3.2: a personal include of the script's own name is a cycle
# when it runs as a personal script (a warning: sievec cannot know), and
# with :once or :global no sign of one
require "include";
include "include-self";
include :once "include-self";
include :global "include-self";
include "";
