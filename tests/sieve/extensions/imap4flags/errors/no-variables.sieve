require "imap4flags";
addflag "f" "x";
