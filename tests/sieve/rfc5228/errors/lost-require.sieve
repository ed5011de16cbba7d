# RFC 5228 §3.2: a require lost to a syntax error hides no command of the
# extensions it names (they are not reported as unrequired)
require ["fileinto" "copy"];
fileinto :copy "Folder";
if true { fileinto "Other"; }
frob;
