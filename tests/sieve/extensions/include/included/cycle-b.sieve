require "include";
include "cycle-a";
