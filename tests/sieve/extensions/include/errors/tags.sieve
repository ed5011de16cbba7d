require "include";
include :personal :global "file-a";
include :once :once "file-a";
