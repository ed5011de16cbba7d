require ["include", "variables", "fileinto"];
global "shared";
if string :is "${shared}" "from parent" { fileinto "child-saw-parent"; }
if string :is "${local}" "" { fileinto "child-local-empty"; }
set "shared" "from child";
set "local" "child local";
