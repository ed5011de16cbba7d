require "include";
include "thirty";
include "thirty";
include "thirty";
include "thirty";
