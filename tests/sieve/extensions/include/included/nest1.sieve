require "include";
include "nest2";
