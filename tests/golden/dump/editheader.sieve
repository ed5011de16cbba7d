require ["editheader", "variables", "fileinto", "copy"];
# RFC 5293 §4, §5: every form of both commands
addheader "X-Filtered" "by sift";
addheader :last "X-Via" "${name}";
deleteheader "X-Spam";
deleteheader :index 2 :last :comparator "i;octet" :matches "X-Tag" ["a*", "b?"];
fileinto :copy "Edited";
