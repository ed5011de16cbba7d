if ihave "fileinto" { keep; }
error "no";
