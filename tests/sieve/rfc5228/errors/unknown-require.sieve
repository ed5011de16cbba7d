require "no-such-ext";
keep;
