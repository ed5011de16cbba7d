# RFC 5228 §2.4.2: a quoted string left open in the middle of the script
# is reported where it starts; what follows is read as written
require "fileinto";
if header :is "subject" "unterminated {
  fileinto "Junk";
}
discard;
if header :is "to" "x" { frob; }
keep;
