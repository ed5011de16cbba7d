require ["include", "fileinto"];
if false { include "no-such-script"; }
if header :is "subject" "no such subject" { include "no-such-script"; }
fileinto "lazy";
