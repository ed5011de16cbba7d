require "include";
include "cycle-b";
