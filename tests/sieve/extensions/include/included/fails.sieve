require ["ihave", "fileinto"];
fileinto "F";
error "the included script gave up";
