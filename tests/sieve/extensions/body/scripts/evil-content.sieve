# body :content "text" finds "evil" anywhere (limits.svtest)
require ["body", "fileinto"];
if body :content "text" :contains "evil" { fileinto "caught"; }
