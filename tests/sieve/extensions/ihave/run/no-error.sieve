require ["ihave", "fileinto"];
if header :is "subject" "no such subject" { error "not reached"; }
keep;
