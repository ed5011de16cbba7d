# body :content "image/png" finds "evil" (limits.svtest)
require ["body", "fileinto"];
if body :content "image/png" :contains "evil" { fileinto "caught"; }
