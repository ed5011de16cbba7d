require "include";
include "self-once";
