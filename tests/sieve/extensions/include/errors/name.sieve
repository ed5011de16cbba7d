require "include";
include "../escape";
include "sub/dir";
include ".hidden";
include "";
