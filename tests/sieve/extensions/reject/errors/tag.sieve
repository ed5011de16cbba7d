require "reject";
reject :copy "a";
