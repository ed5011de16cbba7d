require "include";
global "x";
