# body :text finds "evil" anywhere (limits.svtest)
require ["body", "fileinto"];
if body :text :contains "evil" { fileinto "caught"; }
