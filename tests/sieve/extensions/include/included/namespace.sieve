require ["include", "variables", "fileinto"];
if string :is "${global.shared}" "via namespace" { fileinto "child-namespace"; }
set "global.shared" "set by namespace";
