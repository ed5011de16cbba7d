require "include";
include "nest1";
