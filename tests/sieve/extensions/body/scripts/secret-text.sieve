# body :text finds the base64 "secret payload" (limits.svtest)
require ["body", "fileinto"];
if body :text :contains "secret payload" { fileinto "caught"; }
